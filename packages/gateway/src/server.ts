// The gateway: an OpenAI-compatible HTTP server in front of a Routelang policy. It maps a
// chat completions request to the policy's input (input.ts), runs it with the router
// (declared providers or host adapters, fallbacks, cascades, budgets, breakers), and
// answers in OpenAI's format — JSON, or server-sent events when `stream: true` — with
// headers saying what happened. Errors use OpenAI's shape and statuses so every official
// SDK raises its own error class. Bad input never takes the server down: bodies are
// bounded, slow clients time out, requests in flight are bounded, an abandoned stream
// cancels its upstream call, and no secret reaches a response or a log line.

import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Attempt,
  type DriftEvent,
  type PolicyIR,
  type RolloutEvent,
  Router,
  RouterLoadError,
  type RouterOptions,
  type RuleRef,
  type RunEvent,
  type RunResult,
  type ShadowEvent,
  type StateStore,
  tenantWindow,
} from '@routelang/runtime';
import { DashboardFeed } from './dashboard.js';
import { dashboardAsset } from './dashboard-assets.js';
import { type BadField, type ChatRequest, parseChatRequest, policyInput } from './input.js';
import { type KeyStore, RateLimiter } from './keys.js';
import { GatewayMetrics } from './metrics.js';

/** Limits that keep bad clients from hurting the gateway; each has a safe default. */
export interface GatewayLimits {
  /** The largest request body (default 1 MiB); a larger one is 413. */
  readonly maxBodyBytes: number;
  /** Time to receive a request's headers (default 10 s). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (default 30 s): a client sending slowly is cut off. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (default 5 s). */
  readonly keepAliveTimeoutMs: number;
  /** Requests served at once (default 512); more get 503 with `retry-after`. */
  readonly maxInFlight: number;
  /** Requests per minute per API key (default: unlimited). */
  readonly requestsPerMinute: number | undefined;
  /** On shutdown, how long requests and streams in flight may take to finish (default 10 s). */
  readonly drainMs: number;
  /** Bytes of request bodies held at once across all requests being read (default 256 MiB); past it, 503. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxBodyBytes: 1 << 20,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxInFlight: 512,
  requestsPerMinute: undefined,
  drainMs: 10_000,
  maxBufferedBytes: 256 << 20,
};

/** A request read, checked and mapped to the policy's input. */
interface Prepared {
  readonly request: ChatRequest;
  readonly input: Record<string, unknown>;
  readonly target: { route?: string; model?: string };
}

/** The outcome of recompiling the policy on reload. */
export type ReloadOutcome = { readonly ok: true; readonly ir: PolicyIR } | { readonly ok: false; readonly diagnostics: string };

export interface GatewayOptions {
  /** The compiled policy to serve. */
  readonly ir: PolicyIR;
  /** Router options: host adapters (which win over declared providers), `upstreams`, tokenizer, breakers… */
  readonly router?: Omit<RouterOptions, 'telemetry'>;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** API keys by tenant; without them every caller is accepted and `tenant` comes from the request. */
  readonly keys?: KeyStore;
  readonly limits?: Partial<GatewayLimits>;
  /** Where decision-log events go, one JSON line each (default: nowhere). */
  readonly log?: (line: string) => void;
  /** Puts the conversation's text in decision-log events (default false: never). */
  readonly logPrompts?: boolean;
  /** Operational messages (reloads, shutdown, warnings); default: nowhere. */
  readonly notice?: (line: string) => void;
  /** Recompiles the policy (the CLI passes the compiler); `reload()` and SIGHUP use it. */
  readonly reload?: () => Promise<ReloadOutcome>;
  /**
   * Serves the live dashboard at `/dashboard` (default false). With `keys`, its data needs an
   * admin key (`routelang keys add --admin`); the page itself holds no data and asks for one.
   */
  readonly dashboard?: boolean;
}

export interface Gateway {
  /** e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly router: Router;
  /** The active policy's version: the first 12 hex digits of the SHA-256 of its IR. */
  readonly version: string;
  readonly metrics: GatewayMetrics;
  /** The dashboard's data source, when `dashboard` is on. */
  readonly dashboard: DashboardFeed | undefined;
  /** Recompiles and swaps the policy; on errors the old one keeps serving. Resolves true when swapped. */
  reload(): Promise<boolean>;
  /** Stops accepting, lets requests and streams in flight finish (up to `drainMs`), then closes. */
  close(): Promise<void>;
}

/**
 * Removes secrets from text leaving the gateway (error messages, log lines): the values of
 * the declared providers' key and header variables, and anything shaped like a bearer key.
 */
export function redactor(ir: PolicyIR): (text: string) => string {
  const secrets = new Set<string>();
  for (const p of ir.providers ?? []) {
    const names = [p.apiKeyEnv, ...Object.values(p.headers ?? {}).map((v) => ('env' in v ? v.env : undefined))];
    for (const name of names) {
      const value = name !== undefined ? process.env[name] : undefined;
      if (value !== undefined && value.length >= 4) secrets.add(value);
    }
  }
  const shaped = /\b(sk|rl|pk|key)-[A-Za-z0-9_*.-]{6,}/g;
  return (text) => {
    let out = text;
    for (const s of secrets) out = out.split(s).join('[redacted]');
    return out.replace(shaped, '$1-[redacted]');
  };
}

/** The version hash of an IR. */
export function policyVersion(ir: PolicyIR): string {
  return createHash('sha256').update(JSON.stringify(ir)).digest('hex').slice(0, 12);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const badRequest = (problems: readonly BadField[]): HttpError =>
  new HttpError(
    400,
    'invalid_request_error',
    'invalid_request',
    problems.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)).join('; '),
    problems[0]?.param || null,
    {},
    { errors: problems },
  );

/** Starts the gateway; resolves when it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const limits: GatewayLimits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  const notice = options.notice ?? (() => {});
  const prompts = new Map<string, string>();
  let version = policyVersion(options.ir);
  let metrics: GatewayMetrics | undefined;
  let feed: DashboardFeed | undefined;
  const pendingRules = new Map<string, string>();
  const router = await Router.load(options.ir, {
    ...options.router,
    telemetry: {
      onEvent: (event: RunEvent) => {
        const rule = ruleLabel(event.rule);
        metrics?.record(event, rule, denialReason(event));
        feed?.record(event, rule);
        pendingRules.delete(event.requestId);
        if (!options.log) return;
        const prompt = prompts.get(event.requestId);
        const line = {
          ...event,
          policy: { ...event.policy, hash: version },
          ...(options.logPrompts && prompt !== undefined ? { prompt } : {}),
        };
        options.log(redact(JSON.stringify(line)));
      },
      // Drift goes to the decision log and to the notices: a model changed under the policy.
      onDrift: (event: DriftEvent) => {
        metrics?.drift(event);
        feed?.drift(event);
        notice(
          `drift: \`${event.model}\` ${event.metric} ${event.test === 'mean_difference' ? `${event.reference.toFixed(3)} → ${event.current.toFixed(3)}` : `median ${event.reference} → ${event.current}`} (window ${event.window})`,
        );
        options.log?.(redact(JSON.stringify({ ...event, time: new Date().toISOString(), policy: { name: options.ir.policy.name, hash: version } })));
      },
      // Shadow calls go to the decision log with both scores (no text, as for requests).
      onShadow: (event: ShadowEvent) => {
        metrics?.shadow(event);
        options.log?.(redact(JSON.stringify({ type: 'shadow', ...event, policy: { name: options.ir.policy.name, hash: version } })));
      },
      // Stage changes go to the decision log beside the requests, with their evidence.
      onRollout: (event: RolloutEvent) => {
        metrics?.rollout(event);
        feed?.rollout(event);
        notice(`rollout "${event.rollout}": ${event.action} ${event.fromShare}% → ${event.toShare}%: ${event.reason}`);
        options.log?.(redact(JSON.stringify({ ...event, policy: { name: options.ir.policy.name, hash: version } })));
      },
    },
  });
  // A gateway must be able to run every plan: refuse to start rather than fail requests.
  const missing = router.missing();
  if (missing.length > 0)
    throw new RouterLoadError(`the gateway cannot run this policy: it is missing ${missing.length} thing${missing.length === 1 ? '' : 's'}`, missing);
  metrics = new GatewayMetrics(
    () => router.circuits(),
    1000,
    () => router.rollouts(),
    () => router.drift(),
  );
  const gatewayMetrics = metrics;
  if (options.dashboard) {
    feed = new DashboardFeed(gatewayMetrics, {
      policy: () => ({ name: router.ir.policy.name ?? null, hash: version }),
      circuits: () => router.circuits(),
      rollouts: () => router.rollouts(),
      drift: () => router.drift(),
      tenantBudgets: async (tenants) => {
        const perTenant = router.ir.budget?.perTenant;
        if (!perTenant) return {};
        const now = Date.now();
        const spent = await Promise.all(tenants.map((t) => router.stateStore.get(tenantWindow(t, perTenant.period, now).key)));
        return Object.fromEntries(tenants.map((t, i) => [t, { spent: spent[i] ?? 0, limit: perTenant.amount, period: perTenant.period }]));
      },
    });
  }
  const dashboardStreams = new Set<ServerResponse>();
  let dashboardTimer: ReturnType<typeof setInterval> | undefined;
  let broadcasting = false;
  let redact = redactor(options.ir);
  // Rate windows live in the router's state store: shared by the fleet when it is shared.
  const perMinute = limits.requestsPerMinute;
  const state = router.stateStore;
  const limiter =
    perMinute === undefined ? undefined : state.take ? (key: string) => state.take?.(key, perMinute, 60_000) ?? 0 : new RateLimiter(perMinute).asTake();
  const unwatch = watchState(state, gatewayMetrics, notice);

  let inFlight = 0;
  /** Requests being handled, body reading included (what a shutdown waits for). */
  let active = 0;
  const buffered = { bytes: 0, max: limits.maxBufferedBytes };
  let draining = false;
  let drained: (() => void) | undefined;
  const sockets = new Set<Socket>();

  const server: Server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: 16 * 1024,
      noDelay: true,
      // How often slow requests are looked for (Node's default, 30 s, would let a slow client hold a socket that long).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.requestTimeoutMs / 2))),
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP or a timed-out slow client: answer if the socket can still take it.
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  const ir = (): PolicyIR => router.ir;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') {
        return json(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ready', policy: ir().policy.name, version });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const text = await gatewayMetrics.registry.metrics();
        res.writeHead(200, { 'content-type': gatewayMetrics.registry.contentType });
        res.end(text);
        return;
      }
      if (draining)
        throw new HttpError(503, 'server_error', 'shutting_down', 'the gateway is shutting down', null, { connection: 'close', 'retry-after': '1' });
      if (feed && (path === '/dashboard' || path.startsWith('/dashboard/'))) return await dashboard(req, res, path, feed);
      if (path === '/v1/models' && req.method === 'GET') {
        await authenticate(req);
        return json(res, 200, { object: 'list', data: modelList(ir()) });
      }
      if (path === '/v1/chat/completions' || path === '/v1/route/explain') {
        if (req.method !== 'POST') throw new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${path} takes POST`, null, { allow: 'POST' });
        // Reading the body does not take a slot (a client stalling mid-body must not starve the
        // others; its time is bounded by requestTimeoutMs and the bytes held by maxBufferedBytes).
        active++;
        try {
          const prepared = await prepare(req);
          if (inFlight >= limits.maxInFlight) {
            throw new HttpError(503, 'server_error', 'overloaded', `the gateway is serving ${limits.maxInFlight} requests, its most; retry shortly`, null, {
              'retry-after': '1',
            });
          }
          inFlight++;
          gatewayMetrics.inFlight.inc();
          try {
            if (path === '/v1/route/explain') explain(res, prepared);
            else await chat(req, res, prepared);
          } finally {
            inFlight--;
            gatewayMetrics.inFlight.dec();
          }
        } finally {
          active--;
          if (draining && active === 0) drained?.();
        }
        return;
      }
      throw new HttpError(404, 'invalid_request_error', 'not_found', `no route ${req.method} ${path}`);
    } catch (error) {
      fail(res, error);
    }
  }

  function fail(res: ServerResponse, error: unknown): void {
    const e =
      error instanceof HttpError
        ? error
        : new HttpError(500, 'server_error', 'internal_error', `the gateway failed: ${error instanceof Error ? error.message : String(error)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    json(
      res,
      e.status,
      JSON.parse(redact(JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.code, ...e.extra } }))),
      e.headers,
    );
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    gatewayMetrics.status(status);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  /** `/dashboard`: the page and its assets (no data in them), and its data for an admin. */
  async function dashboard(req: IncomingMessage, res: ServerResponse, path: string, data: DashboardFeed): Promise<void> {
    if (req.method !== 'GET') throw new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${path} takes GET`, null, { allow: 'GET' });
    if (path === '/dashboard') {
      // The page's links are relative (it works behind a proxy that mounts it elsewhere): it lives at `/dashboard/`.
      gatewayMetrics.status(308);
      res.writeHead(308, { location: 'dashboard/', 'content-length': '0' });
      res.end();
      return;
    }
    const asset = dashboardAsset(path);
    if (asset) {
      gatewayMetrics.status(200);
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': String(asset.body.length),
        'cache-control': 'no-cache',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(asset.body);
      return;
    }
    if (path !== '/dashboard/snapshot' && path !== '/dashboard/events') throw new HttpError(404, 'invalid_request_error', 'not_found', `no route GET ${path}`);
    authorizeAdmin(req);
    if (path === '/dashboard/snapshot') return json(res, 200, await data.snapshot(), { 'cache-control': 'no-store' });
    // Server-sent events: a snapshot now and then every second, until the page goes away or the gateway closes.
    gatewayMetrics.status(200);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.on('close', () => {
      dashboardStreams.delete(res);
      if (dashboardStreams.size === 0) {
        clearInterval(dashboardTimer);
        dashboardTimer = undefined;
      }
    });
    const first = `data: ${JSON.stringify(await data.snapshot())}\n\n`;
    if (res.destroyed) return;
    res.write(first);
    dashboardStreams.add(res);
    // One snapshot a second for every open page, not one per page.
    dashboardTimer ??= setInterval(() => void broadcast(data).catch(() => undefined), 1_000);
  }

  /** Sends the pages one snapshot; a slow page skips it and gets the next when it has read the last (they never queue up). */
  async function broadcast(data: DashboardFeed): Promise<void> {
    if (broadcasting) return;
    broadcasting = true;
    try {
      const message = `data: ${JSON.stringify(await data.snapshot())}\n\n`;
      for (const stream of dashboardStreams) if (!stream.writableNeedDrain && !stream.destroyed) stream.write(message);
    } finally {
      broadcasting = false;
    }
  }

  /** With keys configured, only an admin key opens the dashboard's data: 401 without one, 403 for a tenant's key. */
  function authorizeAdmin(req: IncomingMessage): void {
    if (!options.keys) return;
    const presented = bearerOf(req);
    if (presented !== undefined && options.keys.isAdmin(presented)) return;
    if (presented !== undefined && options.keys.tenantOf(presented) !== undefined) {
      throw new HttpError(403, 'permission_error', 'admin_key_required', "the dashboard needs an admin key, not a tenant's (`routelang keys add --admin`)");
    }
    throw new HttpError(
      401,
      'invalid_request_error',
      'invalid_api_key',
      presented === undefined ? 'the dashboard needs an admin key: `authorization: Bearer KEY` (`routelang keys add --admin`)' : 'the API key is not valid',
    );
  }

  /** The caller's tenant when keys are configured; 401 without a valid key; 429 past the rate limit. */
  async function authenticate(req: IncomingMessage): Promise<{ tenant: string | undefined; key: string }> {
    const presented = bearerOf(req);
    let tenant: string | undefined;
    if (options.keys) {
      tenant = presented !== undefined ? options.keys.tenantOf(presented) : undefined;
      if (tenant === undefined) {
        throw new HttpError(
          401,
          'invalid_request_error',
          'invalid_api_key',
          presented === undefined ? 'an API key is required: `authorization: Bearer KEY`' : 'the API key is not valid',
        );
      }
    }
    const key = tenant !== undefined ? `tenant:${tenant}` : `ip:${req.socket.remoteAddress ?? ''}`;
    if (limiter) {
      const wait = await limiter(key);
      if (wait > 0) {
        throw new HttpError(429, 'rate_limit_error', 'rate_limit_exceeded', `more than ${limits.requestsPerMinute} requests in a minute`, null, {
          'retry-after': String(Math.ceil(wait / 1000)),
        });
      }
    }
    return { tenant, key };
  }

  /** Reads and parses the request, then builds the policy's input and the run's target. */
  async function prepare(req: IncomingMessage): Promise<Prepared> {
    const { tenant } = await authenticate(req);
    const body = await readJson(req, limits.maxBodyBytes, buffered);
    const parsed = parseChatRequest(body);
    if (!parsed.ok) throw badRequest(parsed.problems);
    const target = targetOf(ir(), parsed.request.model);
    const input = policyInput(ir(), parsed.request, req.headers, tenant);
    if (!input.ok) throw badRequest(input.problems);
    return { request: parsed.request, input: input.input, target };
  }

  function explain(res: ServerResponse, { input, target }: Prepared): void {
    const decision = router.decide(input, target.route !== undefined ? { route: target.route } : {});
    if (!decision.ok) throw refusalError(decision.errors);
    json(res, 200, {
      policy: { name: ir().policy.name, version: ir().policy.version, hash: version },
      input,
      rule: decision.rule,
      path: decision.path,
      plan: decision.plan,
      resolved: decision.resolved,
      models: decision.models,
      first: decision.first,
      steps: decision.explain(),
      ...(target.model !== undefined ? { model: target.model } : {}),
    });
  }

  async function chat(req: IncomingMessage, res: ServerResponse, { request, input, target }: Prepared): Promise<void> {
    const requestId = requestIdOf(req);
    if (options.logPrompts) prompts.set(requestId, String(input[ir().inputs.find((f) => f.type.kind === 'text')?.name ?? ''] ?? ''));
    // The client going away cancels the run and its upstream call.
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new DOMException('the client went away', 'AbortError'));
    });
    const runOptions = {
      signal: controller.signal,
      requestId,
      messages: request.messages,
      passthrough: request.passthrough,
      ...(target.route !== undefined ? { route: target.route } : {}),
      ...(target.model !== undefined ? { model: target.model } : {}),
    };
    try {
      if (!request.stream) {
        const result = await router.run(input, runOptions);
        if (controller.signal.aborted) return;
        if (!result.ok) throw failure(result);
        json(res, 200, completion(result, requestId, ir()), resultHeaders(result, requestId));
        return;
      }
      await streamChat(res, request, input, requestId, runOptions);
    } finally {
      prompts.delete(requestId);
    }
  }

  async function streamChat(
    res: ServerResponse,
    request: ChatRequest,
    input: Record<string, unknown>,
    requestId: string,
    runOptions: Parameters<Router['run']>[1] & object,
  ): Promise<void> {
    // Headers go out with the first text: until then a failure is still an HTTP status.
    // run() reports its decision before any call, so the first text's headers can name the rule.
    let rule: RuleRef | undefined;
    const created = Math.floor(Date.now() / 1000);
    const id = `chatcmpl-${requestId}`;
    let started = false;
    let modelId = '';
    // Writes made in one turn of the event loop go out in one packet (pieces that arrived
    // together from the upstream leave together), without delaying any of them.
    let corked = false;
    const send = (data: unknown): void => {
      if (res.destroyed) return;
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(() => {
          corked = false;
          res.uncork();
        });
      }
      res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: modelId,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    });
    const start = (model: string | undefined): void => {
      started = true;
      modelId = modelIdOf(ir(), model);
      gatewayMetrics.status(200);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': requestId,
        'x-routelang-policy': `${ir().policy.name ?? ''}@${version}`,
        ...(rule ? { 'x-routelang-rule': ruleHeader(rule) } : {}),
        ...(model !== undefined ? { 'x-routelang-model': model } : {}),
      });
      send(chunk({ role: 'assistant', content: '' }, null));
    };
    const result = await router.run(input, {
      ...runOptions,
      onDecision: (decision) => {
        rule = decision.rule;
      },
      onDelta: (text, model) => {
        if (!started) start(model);
        send(chunk({ content: text }, null));
      },
    });
    if (runOptions.signal?.aborted) {
      res.destroy();
      return;
    }
    if (!result.ok) {
      const e = failure(result);
      if (!started) throw e;
      // After the first text the status is sent: the failure is an error event (the SDKs raise it).
      const message = 'message' in result ? `the answer broke off after it started: ${result.message}` : e.message;
      send({ error: { message: redact(message), type: e.type, param: null, code: e.code } });
      res.end();
      return;
    }
    if (!started) start(result.model);
    const facts = { x_routelang: { model: result.model ?? null, fallbacks: result.fallbacks, escalations: result.escalations, cost: result.cost } };
    const toolCalls = result.toolCalls?.map((t, index) => ({ index, ...(t as object) }));
    send(chunk(toolCalls ? { tool_calls: toolCalls } : {}, result.finishReason ?? (toolCalls ? 'tool_calls' : 'stop'), facts));
    if (request.includeUsage) send({ id, object: 'chat.completion.chunk', created, model: modelId, choices: [], usage: usageOf(result.attempts) });
    res.write('data: [DONE]\n\n');
    res.end();
  }

  function failure(result: Exclude<RunResult, { ok: true }>): HttpError {
    if ('errors' in result) return refusalError(result.errors);
    const headers: Record<string, string> = { 'x-routelang-policy': `${ir().policy.name ?? ''}@${version}` };
    if ('rule' in result) headers['x-routelang-rule'] = ruleHeader(result.rule);
    if ('denied' in result) {
      return new HttpError(403, 'permission_error', result.denied.startsWith('assertion') ? 'assertion_refused' : 'denied', result.denied, null, headers);
    }
    const attempts = result.attempts.map(attemptSummary);
    const extra = { attempts };
    switch (result.errorClass) {
      case 'budget': {
        const perTenant = ir().budget?.perTenant;
        const tenantBudget = /tenant/.test(result.message) && perTenant;
        const retry = tenantBudget ? secondsToWindowEnd(perTenant.period) : undefined;
        return new HttpError(
          429,
          'rate_limit_error',
          tenantBudget ? 'tenant_budget_exceeded' : 'budget_exceeded',
          result.message,
          null,
          { ...headers, ...(retry !== undefined ? { 'retry-after': String(retry) } : {}) },
          extra,
        );
      }
      case 'rate_limit':
        return new HttpError(
          429,
          'rate_limit_error',
          'upstream_rate_limited',
          `every upstream that could answer is rate limited: ${result.message}`,
          null,
          { ...headers, 'retry-after': '1' },
          extra,
        );
      case 'state_unavailable':
        // A strict fleet whose shared state is unreachable: budgeted requests wait for it.
        return new HttpError(503, 'server_error', 'state_unavailable', result.message, null, { ...headers, 'retry-after': '1' }, extra);
      case 'timeout':
        return new HttpError(504, 'timeout_error', 'upstream_timeout', `the upstream did not answer in time: ${result.message}`, null, headers, extra);
      case 'refusal':
        return new HttpError(403, 'permission_error', 'refused', result.message, null, headers, extra);
      case 'aborted':
        return new HttpError(499, 'invalid_request_error', 'client_closed_request', result.message, null, headers);
      default:
        return new HttpError(
          502,
          'server_error',
          result.errorClass === 'circuit_open' ? 'circuit_open' : 'upstream_error',
          `every fallback failed: ${result.message}`,
          null,
          headers,
          extra,
        );
    }
  }

  function resultHeaders(result: Extract<RunResult, { ok: true }>, requestId: string): Record<string, string> {
    return {
      'x-request-id': requestId,
      'x-routelang-policy': `${ir().policy.name ?? ''}@${version}`,
      'x-routelang-rule': ruleHeader(result.rule),
      ...(result.model !== undefined ? { 'x-routelang-model': result.model } : {}),
      'x-routelang-fallbacks': String(result.fallbacks),
      'x-routelang-escalations': String(result.escalations),
      'x-routelang-cost': result.cost.toFixed(8),
    };
  }

  let reloading: Promise<boolean> = Promise.resolve(true);
  async function reload(): Promise<boolean> {
    const next = reloading.then(async () => {
      if (!options.reload) return false;
      let outcome: ReloadOutcome;
      try {
        outcome = await options.reload();
      } catch (error) {
        outcome = { ok: false, diagnostics: error instanceof Error ? error.message : String(error) };
      }
      if (!outcome.ok) {
        gatewayMetrics.reloads.inc({ outcome: 'rejected' });
        notice(`reload rejected, still serving ${version}:\n${outcome.diagnostics}`);
        return false;
      }
      try {
        // A policy the gateway could not run (a tool or extern validator it has no code for) is refused.
        const probe = await Router.load(outcome.ir, { ...options.router, tokenizer: () => 0 });
        const missing = probe.missing();
        if (missing.length > 0) throw new Error(`the new policy needs ${missing.map((m) => m.message).join('; ')}`);
        await router.swap(outcome.ir);
      } catch (error) {
        gatewayMetrics.reloads.inc({ outcome: 'rejected' });
        notice(`reload rejected, still serving ${version}: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      }
      const previous = version;
      version = policyVersion(outcome.ir);
      redact = redactor(outcome.ir);
      gatewayMetrics.reloads.inc({ outcome: 'ok' });
      notice(`reloaded: ${previous} → ${version}`);
      return true;
    });
    reloading = next.catch(() => false);
    return next;
  }

  async function close(): Promise<void> {
    if (draining) return;
    draining = true;
    server.close();
    server.closeIdleConnections();
    if (active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, limits.drainMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    clearInterval(dashboardTimer);
    for (const stream of dashboardStreams) stream.end();
    for (const socket of sockets) socket.destroy();
    unwatch();
    await router.close();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    router,
    get version() {
      return version;
    },
    metrics: gatewayMetrics,
    dashboard: feed,
    reload,
    close,
  };
}

/**
 * Reports a shared state store's health: a gauge of the connection, a counter of the
 * operations that fell back, and notices — one when it goes down, one when it is back, and
 * while it is down at most one a second counting the fallbacks.
 */
function watchState(state: StateStore, metrics: GatewayMetrics, notice: (line: string) => void): () => void {
  if (!state.watch) return () => {};
  let unreported = 0;
  let lastNotice = 0;
  return state.watch((event) => {
    metrics.state(event);
    if (event.type === 'down') notice(`shared state unreachable (${event.error}); serving on this instance's state`);
    else if (event.type === 'up') notice(`shared state reachable again; ${event.replayed} kept operation${event.replayed === 1 ? '' : 's'} applied`);
    else {
      unreported++;
      const now = Date.now();
      if (now - lastNotice < 1_000) return;
      lastNotice = now;
      const how = event.mode === 'strict' && event.op === 'reserve' ? 'refused (strict)' : 'used local state';
      notice(`shared state: ${unreported} operation${unreported === 1 ? '' : 's'} ${how}; last: ${event.op}: ${event.error}`);
      unreported = 0;
    }
  });
}

/**
 * The dashboard's Content-Security-Policy: scripts and styles only from the gateway (no
 * inline script, no eval), data only from the gateway, no frames, forms or plugins — so a
 * caller-chosen tenant or rule name could not run even if it reached the page as markup.
 */
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The key of an `authorization: Bearer KEY` header, if any. */
function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : undefined;
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Reads a JSON body of at most `max` bytes: 413 past it, 400 when it is not JSON, 503 when the gateway holds too many bytes of bodies. */
function readJson(req: IncomingMessage, max: number, buffered: { bytes: number; max: number }): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(
      new HttpError(413, 'invalid_request_error', 'body_too_large', `the body is ${declared} bytes; the most is ${max}`, null, { connection: 'close' }),
    );
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    const release = (): void => {
      buffered.bytes -= size;
      size = 0;
    };
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      buffered.bytes += c.length;
      if (buffered.bytes > buffered.max) {
        failed = true;
        release();
        reject(
          new HttpError(503, 'server_error', 'overloaded', 'the gateway is reading too many request bodies at once; retry shortly', null, {
            connection: 'close',
            'retry-after': '1',
          }),
        );
        req.resume();
        return;
      }
      if (size > max) {
        failed = true;
        release();
        reject(new HttpError(413, 'invalid_request_error', 'body_too_large', `the body is over ${max} bytes, the most`, null, { connection: 'close' }));
        req.resume();
        return;
      }
      parts.push(c);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (failed) return;
      release();
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown);
      } catch (error) {
        reject(new HttpError(400, 'invalid_request_error', 'invalid_json', `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
    req.on('close', () => {
      // The client left mid-body: nothing to answer, but the handler must not wait forever.
      if (ended || failed) return;
      failed = true;
      release();
      reject(new HttpError(400, 'invalid_request_error', 'incomplete_body', 'the client closed the connection before the body ended'));
    });
    req.on('error', () => {
      release();
      failed = true;
      reject(new HttpError(400, 'invalid_request_error', 'invalid_body', 'the body could not be read'));
    });
  });
}

/** What `model` asks for: the entry route (`auto` or the policy's name), a named route, or a catalogue model. */
export function targetOf(ir: PolicyIR, model: string): { route?: string; model?: string } {
  if (model === 'auto' || model === ir.policy.name) return {};
  if (ir.routes.some((r) => r.name === model)) return { route: model };
  if (ir.models.some((m) => m.name === model)) return { model };
  const names = ['auto', ...(ir.policy.name ? [ir.policy.name] : []), ...ir.routes.flatMap((r) => (r.name ? [r.name] : [])), ...ir.models.map((m) => m.name)];
  throw new HttpError(
    404,
    'invalid_request_error',
    'model_not_found',
    `no route or model \`${model}\`; this gateway serves ${names.map((n) => `\`${n}\``).join(', ')}`,
    'model',
  );
}

function modelList(ir: PolicyIR): unknown[] {
  const entry = (id: string, owner: string) => ({ id, object: 'model', created: 0, owned_by: owner });
  return [
    entry('auto', 'routelang'),
    ...(ir.policy.name ? [entry(ir.policy.name, 'routelang')] : []),
    ...ir.routes.flatMap((r) => (r.name ? [entry(r.name, 'routelang')] : [])),
    ...ir.models.map((m) => entry(m.name, m.provider)),
  ];
}

function refusalError(errors: readonly { field: string; code: string; message: string }[]): HttpError {
  if (errors.some((e) => e.code === 'no_rule_matched')) {
    return new HttpError(403, 'permission_error', 'no_rule_matched', errors.map((e) => e.message).join('; '));
  }
  if (errors.some((e) => e.code === 'internal_error')) return new HttpError(500, 'server_error', 'internal_error', errors.map((e) => e.message).join('; '));
  // The policy's input fields come from metadata (or headers): name them as the caller wrote them.
  const problems = errors.map((e) => ({ param: e.field === '' ? '' : `metadata.${e.field}`, message: e.message }));
  return badRequest(problems);
}

function ruleLabel(rule: RunEvent['rule']): string {
  return rule ? `${rule.route ?? 'entry'}:${rule.line}` : '';
}

function ruleHeader(rule: { file: string; line: number; label: string | undefined }): string {
  return `${rule.file}:${rule.line}${rule.label ? ` (${rule.label.replace(/[^\x20-\x7e]/g, '?')})` : ''}`;
}

function denialReason(event: RunEvent): string | undefined {
  if (event.outcome === 'denied') return 'deny';
  if (event.outcome === 'failed' && event.errorClass === 'budget') return 'budget';
  return undefined;
}

function secondsToWindowEnd(period: 'day' | 'hour'): number {
  const size = period === 'day' ? 86_400_000 : 3_600_000;
  return Math.max(1, Math.ceil((size - (Date.now() % size)) / 1000));
}

function modelIdOf(ir: PolicyIR, model: string | undefined): string {
  return (model !== undefined ? ir.models.find((m) => m.name === model)?.id : undefined) ?? model ?? 'routelang';
}

function usageOf(attempts: readonly Attempt[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = attempts.reduce((n, a) => n + a.inputTokens, 0);
  const completion = attempts.reduce((n, a) => n + a.outputTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function attemptSummary(a: Attempt): Record<string, unknown> {
  return { target: a.target, outcome: a.outcome, ...(a.errorClass ? { error_class: a.errorClass } : {}), latency_ms: Math.round(a.latencyMs) };
}

function completion(result: Extract<RunResult, { ok: true }>, requestId: string, ir: PolicyIR): Record<string, unknown> {
  const toolCalls = result.toolCalls;
  return {
    id: `chatcmpl-${requestId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: modelIdOf(ir, result.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: result.text === '' && toolCalls ? null : result.text,
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: result.finishReason ?? (toolCalls ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
    usage: usageOf(result.attempts),
  };
}
