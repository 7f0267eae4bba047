// The public API of @routelang/runtime.

export { ANTHROPIC_DEFAULT_MAX_TOKENS, type AnthropicOptions, anthropicMessages, translateRequest as anthropicRequest } from './anthropic.js';
export { type BreakerFleet, type BreakerOptions, type BreakerState, Breakers, CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
export { classifyLexically, type ExternClassifier } from './classify.js';
export { COMPILED_FORMAT, type CompiledDecide, type CompiledHost, compiledProblems, type DerivedReader, irFingerprint } from './compiled.js';
export type { Decision, ExplainStep, Refusal, RuleRef } from './decision.js';
export { type DriftEvent, type DriftMetric, DriftMonitor, type DriftStatus } from './drift.js';
export { compareValues, evaluate } from './evaluate.js';
export {
  type Attempt,
  type ChatMessage,
  type ModelAdapter,
  type ModelAnswer,
  type ModelCall,
  ProviderError,
  type RolloutArmTaken,
  type Scorer,
  type ShadowEvent,
  type ToolAdapter,
} from './execute.js';
export { compileGraph, intervalRegion, regionFunction, walk } from './graph.js';
export * from './ir.js';
export { hashSlot, type MemberHash, MemberIndex, perfectHash } from './members.js';
export { type OpenAICompatibleOptions, openAICompatible } from './openai.js';
export { firstTarget, planModels, subPlans } from './plans.js';
export type { RequestError, RequestErrorCode, RequestLimits } from './request.js';
export { classifyField, DEFAULT_LIMITS, normalizeRequest } from './request.js';
export {
  csRadius,
  differenceInterval,
  inCandidate,
  Rollout,
  type RolloutEvent,
  type RolloutObservation,
  type RolloutSpec,
  type RolloutStatus,
  rolloutBucket,
  rolloutVerdict,
} from './rollout.js';
export { type Clock, type DecideOptions, Router, RouterLoadError, type RouterOptions, type RunOptions, type RunResult, type StreamEvent } from './router.js';
export { fnv1a, resolveSplits, splitArm } from './split.js';
export {
  type LocalState,
  memoryState,
  RateWindows,
  type Reservation,
  reserveIn,
  type StateEvent,
  type StateOperation,
  type StateStore,
  StateUnavailableError,
  tenantWindow,
} from './state.js';
export { type FleetStats, ModelStats, type StatsBatch } from './stats.js';
export { Metrics, type MetricsSnapshot, nearestRank, type RunEvent, type SeriesSnapshot } from './telemetry.js';
export { linearCounter, loadTokenizer, MAX_RUN, type TokenizerName } from './tokenizer.js';
export { NormalizedRequest, readModel, type TokenCounter } from './values.js';
