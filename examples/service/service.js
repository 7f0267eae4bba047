// An HTTP service that embeds the Routelang runtime: it compiles the support-assistant policy
// at start (a real deployment would load the IR artifact from `routelang compile` in CI),
// routes each request with `router.run()` through the OpenAI-compatible adapter, and serves
// its telemetry.
//
//   POST /v1/route    {"prompt": "...", "tenant": "acme", ...}  → the answer, the model, the rule, cost, attempts
//   GET  /v1/metrics  per-model and per-rule counts, cost, latency percentiles, error rates
//   GET  /healthz
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePolicy } from '@routelang/dsl';
import { openAICompatible, Router } from '@routelang/runtime';

const here = dirname(fileURLToPath(import.meta.url));

/** A toy help-centre search: answers a few known questions, else nothing (so the model answers). */
const ARTICLES = [
  ['reset my password', 'Go to Settings → Security → Reset password; the link is valid for 30 minutes.'],
  ['change my plan', 'Plans change under Billing → Plan; the new price applies from the next invoice.'],
];

/**
 * Starts the service on 127.0.0.1.
 * @param {{ upstream: string, port?: number, policy?: string, log?: (event: object) => void }} options
 */
export async function startService({ upstream, port = 0, policy = join(here, '..', 'support-assistant', 'policy.route'), log } = {}) {
  const compiled = compilePolicy(policy);
  if (!compiled.ir) {
    throw new Error(`the policy does not compile:\n${compiled.diagnostics.map((d) => `${d.file}:${d.code} ${d.message}`).join('\n')}`);
  }
  const adapter = openAICompatible({ baseUrl: upstream });
  const router = await Router.load(compiled.ir, {
    // Every provider of the catalogue goes to the same fake upstream here; in production each
    // gets its own base URL (OpenAI, Anthropic through a gateway, vLLM on premises…).
    adapters: Object.fromEntries(compiled.ir.models.map((m) => [m.provider, adapter])),
    tools: {
      kb: async ({ prompt }) => {
        const hit = ARTICLES.find(([q]) => prompt.toLowerCase().includes(q));
        return hit ? { text: hit[1] } : null;
      },
    },
    // A stand-in quality scorer: a real one would be a judge model or a classifier.
    validators: { quality_score: (answer) => (answer.length > 80 ? 0.85 : 0.5) },
    breaker: { window: 10, minCalls: 5, failureRate: 0.5, openMs: 5_000 },
    telemetry: log ? { onEvent: log } : {},
  });

  const reply = (res, status, body) => {
    // A client that has gone away gets nothing written.
    if (res.destroyed || res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
  };
  // A request handler must never reject: an unhandled rejection ends a Node.js process, and a
  // client closing its connection half way through sending a body makes reading it throw.
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (req.destroyed || res.destroyed) return; // the client left; nothing to answer
      reply(res, 500, { error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  async function handle(req, res) {
    const send = (status, body) => reply(res, status, body);
    if (req.method === 'GET' && req.url === '/healthz') return send(200, { ok: true, policy: compiled.ir.policy.name });
    if (req.method === 'GET' && req.url === '/v1/metrics') return send(200, router.metrics());
    if (req.method !== 'POST' || req.url !== '/v1/route') return send(404, { error: 'POST /v1/route, GET /v1/metrics or GET /healthz' });
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 1_000_000) return send(413, { error: 'the request is over 1 MB' });
    }
    let request;
    try {
      request = JSON.parse(text);
    } catch (error) {
      return send(400, { error: `the body is not JSON: ${error.message}` });
    }
    // Cancel the provider call when the client goes away.
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const result = await router.run(request, { signal: controller.signal });
    if ('errors' in result) return send(400, { errors: result.errors });
    const facts = { rule: result.rule, cost: result.cost, latencyMs: Math.round(result.latencyMs), fallbacks: result.fallbacks, escalations: result.escalations, attempts: result.attempts };
    if (result.ok) return send(200, { text: result.text, model: result.model ?? null, ...facts });
    if ('denied' in result) return send(403, { denied: result.denied, ...facts });
    return send(502, { error: result.errorClass, message: result.message, ...facts });
  }
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    router,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
