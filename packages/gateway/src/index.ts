// The public API of @routelang/gateway: `routelang serve` as a library.

export {
  DashboardFeed,
  type DashboardModel,
  type DashboardRequest,
  type DashboardRule,
  type DashboardSeries,
  type DashboardSnapshot,
  type DashboardSources,
  type DashboardTenant,
  type Percentiles,
} from './dashboard.js';
export { type Behaviour, type FakeUpstream, type Received, startFakeUpstream } from './fake-upstream.js';
export { type BadField, type ChatRequest, contentText, conversationText, fromString, parseChatRequest, policyInput } from './input.js';
export { addAdminKey, addKey, type KeyRecord, KeyStore, RateLimiter } from './keys.js';
export { GatewayMetrics } from './metrics.js';
export {
  DEFAULT_GATEWAY_LIMITS,
  type Gateway,
  type GatewayLimits,
  type GatewayOptions,
  policyVersion,
  type ReloadOutcome,
  redactor,
  startGateway,
  targetOf,
} from './server.js';
