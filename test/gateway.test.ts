// `routelang serve` with real clients: the official `openai` SDK against the gateway on
// 127.0.0.1, in front of fake upstreams speaking OpenAI's and Anthropic's protocols. Every
// status the gateway returns must surface as the SDK's own error class.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, PermissionDeniedError, RateLimitError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { addKey, type FakeUpstream, type Gateway, KeyStore, startFakeUpstream, startGateway } from '../packages/gateway/src/index.js';
import type { PolicyIR } from '../packages/runtime/src/index.js';

const HERE = new URL('.', import.meta.url).pathname;
const POLICY = join(HERE, 'gateway/policy.route');

function compiled(file: string): PolicyIR {
  const result = compilePolicy(file);
  if (!result.ir) throw new Error(`${file} does not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.ir;
}

let fake: FakeUpstream;
let gateway: Gateway;
let client: OpenAI;
const log: Record<string, unknown>[] = [];

const upstreams = (): Record<string, string> => ({ openai: fake.url, anthropic: fake.url, vllm: fake.url });

beforeAll(async () => {
  fake = await startFakeUpstream();
  process.env.ROUTELANG_TEST_OPENAI_KEY = 'sk-test-openai-secret';
  process.env.ROUTELANG_TEST_ANTHROPIC_KEY = 'sk-ant-test-secret';
  gateway = await startGateway({
    ir: compiled(POLICY),
    router: { upstreams: upstreams(), firstTokenTimeoutMs: 2_000, breaker: { minCalls: 1000 } },
    log: (line) => log.push(JSON.parse(line) as Record<string, unknown>),
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await fake?.close();
});

afterEach(() => {
  for (const id of ['gpt-mini', 'claude-x', 'llama-local']) fake.script(id, undefined);
});

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'auto',
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

describe('chat completions', () => {
  it('answers through the entry route with headers saying what happened', async () => {
    const { data, response } = await client.chat.completions.create(ask('hello there')).withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hello there');
    expect(data.model).toBe('gpt-mini');
    expect(data.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    expect(response.headers.get('x-routelang-model')).toBe('mini');
    expect(response.headers.get('x-routelang-rule')).toBe('policy.route:62');
    expect(response.headers.get('x-routelang-fallbacks')).toBe('0');
    expect(Number(response.headers.get('x-routelang-cost'))).toBeCloseTo(2e-6 + 3 * 2e-6, 12);
    expect(response.headers.get('x-routelang-policy')).toBe(`gw@${gateway.version}`);
    // The key went upstream from the environment, and nothing else carried it.
    expect(fake.received.at(-1)?.headers.authorization).toBe('Bearer sk-test-openai-secret');
  });

  it('routes by metadata and by x-routelang headers, strings converted by the field type', async () => {
    const byMetadata = await client.chat.completions.create({ ...ask('hi'), metadata: { tier: 'pro' } }).withResponse();
    expect(byMetadata.response.headers.get('x-routelang-model')).toBe('claude');
    expect(byMetadata.response.headers.get('x-routelang-rule')).toBe('policy.route:61 (pro tier)');
    expect(byMetadata.data.choices[0]?.message.content).toBe('echo: hi');
    expect(fake.received.at(-1)?.path).toBe('/v1/messages');
    expect(fake.received.at(-1)?.headers['x-api-key']).toBe('sk-ant-test-secret');
    const byHeader = await client.chat.completions.create(ask('my ssn'), { headers: { 'x-routelang-pii': 'true' } }).withResponse();
    expect(byHeader.response.headers.get('x-routelang-model')).toBe('local');
    expect(fake.received.at(-1)?.body.model).toBe('llama-local');
  });

  it('runs a named route, or a catalogue model only where every assertion holds', async () => {
    const routed = await client.chat.completions.create({ ...ask('x'), model: 'anthropic_only' }).withResponse();
    expect(routed.response.headers.get('x-routelang-model')).toBe('claude');
    const named = await client.chat.completions.create({ ...ask('x'), model: 'local' }).withResponse();
    expect(named.response.headers.get('x-routelang-model')).toBe('local');
    const refused = await client.chat.completions.create({ ...ask('x'), model: 'mini', metadata: { pii: 'true' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as APIError).message).toMatch(/PII stays on premises/);
    expect((refused as APIError).code).toBe('assertion_refused');
  });

  it('passes fields it does not interpret to the upstream untouched, and tool calls back untouched', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', description: 'find', parameters: { type: 'object', properties: { query: { type: 'string' } } } },
      },
    ];
    const completion = await client.chat.completions.create({ ...ask('weather in Oslo'), tools, tool_choice: 'auto', temperature: 0.2, seed: 7 });
    const sent = fake.received.at(-1)?.body as Record<string, unknown>;
    expect(sent.tools).toEqual(tools);
    expect(sent.tool_choice).toBe('auto');
    expect(sent.temperature).toBe(0.2);
    expect(sent.seed).toBe(7);
    expect(sent.metadata).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ query: 'weather in Oslo' }) } },
    ]);
    // Anthropic translates both ways: tools to input_schema, tool_use back to tool_calls.
    const viaClaude = await client.chat.completions.create({ ...ask('weather in Oslo'), tools, model: 'anthropic_only' });
    const anthropicBody = fake.received.at(-1)?.body as Record<string, unknown>;
    expect(anthropicBody.tools).toEqual([{ name: 'lookup', description: 'find', input_schema: tools[0]?.function.parameters }]);
    expect(viaClaude.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'lookup', arguments: JSON.stringify({ query: 'weather in Oslo' }) },
    });
  });
});

describe('streaming', () => {
  async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    return { chunks, text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join('') };
  }

  it('streams in OpenAI chunks with usage, from both protocols', async () => {
    for (const model of ['auto', 'anthropic_only']) {
      const { chunks, text } = await collect(
        await client.chat.completions.create({ ...ask('one two three four'), model, stream: true, stream_options: { include_usage: true } }),
      );
      expect(text).toBe('echo: one two three four');
      expect(chunks.length).toBeGreaterThan(4);
      expect(chunks.at(-1)?.usage?.completion_tokens).toBe(5);
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    }
  });

  it('streams tool calls back', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
    const { chunks } = await collect(await client.chat.completions.create({ ...ask('find it'), tools, stream: true }));
    const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0];
    expect(call?.function?.name).toBe('lookup');
    expect(JSON.parse(call?.function?.arguments ?? '')).toEqual({ query: 'find it' });
  });

  it('falls back before the first token: an outage, and an upstream silent past the first-token limit', async () => {
    fake.script('gpt-mini', { kind: 'status', status: 500 });
    const outage = await client.chat.completions.create({ ...ask('a b'), stream: true }).withResponse();
    expect(outage.response.headers.get('x-routelang-model')).toBe('claude');
    expect(outage.response.headers.get('x-routelang-rule')).toBe('policy.route:62');
    expect((await collect(outage.data)).text).toBe('echo: a b');
    fake.script('gpt-mini', { kind: 'echo', delayMs: 3_000 });
    const started = Date.now();
    const slow = await collect(await client.chat.completions.create({ ...ask('c d'), stream: true }));
    expect(slow.text).toBe('echo: c d');
    expect(Date.now() - started).toBeLessThan(2_900);
    const event = log.at(-1) as { attempts: { target: string; errorClass?: string }[]; fallbacks: number };
    expect(event.attempts.map((a) => [a.target, a.errorClass ?? 'ok'])).toEqual([
      ['mini', 'timeout'],
      ['claude', 'ok'],
    ]);
  });

  it('a failure after the first token ends the stream with an error the SDK raises, and no fallback', async () => {
    fake.script('gpt-mini', { kind: 'cut', chunks: 2 });
    const received: string[] = [];
    const failed = await (async () => {
      for await (const c of await client.chat.completions.create({ ...ask('one two three four five'), stream: true }))
        received.push(c.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(APIError);
    expect(String((failed as APIError).message)).toMatch(/broke off after it started: `mini`: gpt-mini: the stream broke/);
    expect(received.join('')).toBe('echo: one ');
    const event = log.at(-1) as { outcome: string; fallbacks: number; attempts: unknown[] };
    expect(event.outcome).toBe('failed');
    expect(event.fallbacks).toBe(0);
    expect(event.attempts).toHaveLength(1);
  });

  it('a client abandoning a stream cancels the upstream call', async () => {
    fake.script('gpt-mini', { kind: 'echo', chunkDelayMs: 100 });
    const before = fake.abandoned();
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...ask('w '.repeat(50)), stream: true }, { signal: controller.signal });
    let seen = 0;
    await (async () => {
      for await (const _ of stream) if (++seen === 3) controller.abort();
    })().catch(() => {});
    await expect.poll(() => fake.abandoned(), { timeout: 3_000 }).toBe(before + 1);
    await expect.poll(() => (log.at(-1) as { errorClass?: string }).errorClass, { timeout: 3_000 }).toBe('aborted');
  });
});

describe('errors in OpenAI shape, as each SDK error class', () => {
  it('400 names every bad field', async () => {
    const e = (await client.chat.completions.create({ ...ask('x'), metadata: { tier: 'gold', colour: 'red' } }).catch((x: unknown) => x)) as BadRequestError;
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe('metadata.colour');
    const errors = (e.error as { errors: { param: string }[] }).errors.map((p) => p.param);
    expect(errors).toEqual(['metadata.colour']);
    const typed = (await client.chat.completions.create({ ...ask('x'), metadata: { tier: 'gold' } }).catch((x: unknown) => x)) as BadRequestError;
    expect(typed).toBeInstanceOf(BadRequestError);
    expect(typed.message).toMatch(/metadata\.tier/);
    const shape = (await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'wizard', content: 1 }] } as never)
      .catch((x: unknown) => x)) as BadRequestError;
    expect(shape).toBeInstanceOf(BadRequestError);
    expect((shape.error as { errors: { param: string }[] }).errors.map((p) => p.param)).toEqual(['messages[0].role', 'messages[0].content']);
  });

  it('403 for a deny rule, with its reason; 404 for an unknown model', async () => {
    const denied = (await client.chat.completions.create({ ...ask('x'), metadata: { blocked: 'true' } }).catch((x: unknown) => x)) as PermissionDeniedError;
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied.message).toMatch(/blocked callers are refused/);
    const unknown = await client.chat.completions.create({ ...ask('x'), model: 'gpt-5' }).catch((x: unknown) => x);
    expect(unknown).toBeInstanceOf(NotFoundError);
  });

  it('502 when every fallback failed; 504 when the upstream never answers', async () => {
    fake.script('gpt-mini', { kind: 'status', status: 503 });
    fake.script('claude-x', { kind: 'garbage' });
    const failed = (await client.chat.completions.create(ask('x')).catch((x: unknown) => x)) as InternalServerError;
    expect(failed).toBeInstanceOf(InternalServerError);
    expect(failed.status).toBe(502);
    expect(failed.message).toMatch(/every fallback failed/);
    expect(failed.message).not.toMatch(/sk-/);
    fake.script('gpt-mini', { kind: 'hang' });
    const timedOut = (await client.chat.completions.create({ ...ask('x'), model: 'quick' }).catch((x: unknown) => x)) as InternalServerError;
    expect(timedOut).toBeInstanceOf(InternalServerError);
    expect(timedOut.status).toBe(504);
  });

  it('never echoes a key an upstream puts in its error', async () => {
    fake.script('gpt-mini', { kind: 'status', status: 401, message: 'Incorrect API key provided: sk-test-openai-secret' });
    fake.script('claude-x', { kind: 'status', status: 401, message: 'invalid x-api-key sk-ant-test-secret' });
    const before = log.length;
    const failed = (await client.chat.completions.create(ask('x')).catch((x: unknown) => x)) as InternalServerError;
    expect(failed).toBeInstanceOf(InternalServerError);
    expect(JSON.stringify(failed.error)).not.toMatch(/openai-secret|ant-test-secret/);
    expect(failed.message).toMatch(/\[redacted\]/);
    expect(JSON.stringify(log.slice(before))).not.toMatch(/openai-secret|ant-test-secret/);
  });

  it('keeps serving after malformed JSON, an oversized body and a wrong method', async () => {
    const post = (body: string) => fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const malformed = await post('{"model": "auto", "messages": [');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const huge = await post(JSON.stringify(ask('x'.repeat(50 * 1024 * 1024)))).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
    expect((await fetch(`${gateway.url}/v1/chat/completions`)).status).toBe(405);
    expect((await client.chat.completions.create(ask('still here'))).choices[0]?.message.content).toBe('echo: still here');
  });
});

describe('hostile clients', () => {
  it('cuts off a client that sends its request too slowly, and keeps serving', async () => {
    const strict = await startGateway({ ir: compiled(POLICY), router: { upstreams: upstreams() }, limits: { requestTimeoutMs: 400, headersTimeoutMs: 400 } });
    try {
      const socket = connect(strict.port, '127.0.0.1');
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":');
      const reply = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d: Buffer) => {
          text += d.toString();
        });
        socket.on('close', () => resolve(text));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      const c = new OpenAI({ baseURL: `${strict.url}/v1`, apiKey: 'x', maxRetries: 0 });
      expect((await c.chat.completions.create(ask('fine'))).choices[0]?.message.content).toBe('echo: fine');
    } finally {
      await strict.close();
    }
  });

  it('holds 5,000 open connections and still answers', async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 5_000 },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(gateway.port, '127.0.0.1', () => resolve(s));
            s.on('error', reject);
          }),
      ),
    );
    try {
      // Half of them start a request and stall.
      sockets.forEach((s, i) => {
        if (i % 2 === 0) s.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\n{');
      });
      const completion = await client.chat.completions.create(ask('under siege'));
      expect(completion.choices[0]?.message.content).toBe('echo: under siege');
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('the other endpoints', () => {
  it('lists routes and models, explains a decision, reports health and readiness', async () => {
    const models = (await client.models.list()).data.map((m) => m.id);
    expect(models).toEqual(['auto', 'gw', 'quick', 'anthropic_only', 'mini', 'claude', 'local']);
    const explained = (await (
      await fetch(`${gateway.url}/v1/route/explain`, { method: 'POST', body: JSON.stringify({ ...ask('hi'), metadata: { tier: 'pro' } }) })
    ).json()) as { rule: { line: number; label: string }; models: string[]; steps: { matched: boolean }[] };
    expect(explained.rule).toMatchObject({ line: 61, label: 'pro tier' });
    expect(explained.models).toEqual(['claude', 'mini']);
    expect(explained.steps.filter((s) => s.matched)).toHaveLength(1);
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${gateway.url}/readyz`)).json()).toEqual({ status: 'ready', policy: 'gw', version: gateway.version });
  });

  it('serves Prometheus metrics that parse', async () => {
    await client.chat.completions.create(ask('count me'));
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parsePrometheus(await response.text());
    const value = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
    expect(value('routelang_requests_total', { model: 'mini', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(value('routelang_tokens_total', { model: 'mini', direction: 'output' })).toBeGreaterThan(0);
    expect(value('routelang_call_duration_seconds_count', { model: 'mini' })).toBeGreaterThan(0);
    expect(value('routelang_time_to_first_token_seconds_count', { model: 'claude' })).toBeGreaterThan(0);
    expect(value('routelang_fallbacks_total', {})).toBeGreaterThan(0);
    expect(value('routelang_denials_total', { reason: 'deny' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'routelang_circuit_state')).toBe(true);
  });

  it('writes the decision log without prompt text or secrets', () => {
    const text = log.map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toMatch(/hello there|sk-test|sk-ant/);
    const event = log.find((l) => l.outcome === 'ok') as { policy: { name: string; hash: string }; requestId: string; tenant: string };
    expect(event.policy).toMatchObject({ name: 'gw', hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(event.tenant).toBe('anonymous');
  });
});

describe('keys, limits and budgets', () => {
  it('requires a key when keys are configured; the tenant comes from the key; a rate limit is 429 with retry-after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-keys-'));
    const file = join(dir, 'keys');
    const key = addKey(file, 'acme');
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    const events: { tenant?: string }[] = [];
    const keyed = await startGateway({
      ir: compiled(POLICY),
      router: { upstreams: upstreams() },
      keys: KeyStore.load(file),
      limits: { requestsPerMinute: 2 },
      log: (line) => events.push(JSON.parse(line) as { tenant?: string }),
    });
    try {
      const anonymous = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'rl-wrong', maxRetries: 0 });
      expect(await anonymous.chat.completions.create(ask('x')).catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError);
      const acme = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: key, maxRetries: 0 });
      await acme.chat.completions.create({ ...ask('x'), metadata: { tenant: 'globex' } });
      expect(events.at(-1)?.tenant).toBe('acme');
      await acme.chat.completions.create(ask('x'));
      const limited = (await acme.chat.completions.create(ask('x')).catch((e: unknown) => e)) as RateLimitError;
      expect(limited).toBeInstanceOf(RateLimitError);
      expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await keyed.close();
    }
  });

  it('a tenant over its budget gets 429 with retry-after', async () => {
    const tight = await startGateway({ ir: compiled(join(HERE, 'gateway/budget.route')), router: { upstreams: upstreams() } });
    try {
      const c = new OpenAI({ baseURL: `${tight.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const over = (await c.chat.completions.create({ ...ask('x'), metadata: { tenant: 'acme' }, max_tokens: 10 }).catch((e: unknown) => e)) as RateLimitError;
      // max_output 100 at $2/1M plus the prompt fits $0.01 many times over: the first call passes…
      expect(over).not.toBeInstanceOf(Error);
      const many = await Promise.all(
        Array.from({ length: 60 }, () => c.chat.completions.create({ ...ask('y '.repeat(2000)), metadata: { tenant: 'acme' } }).catch((e: unknown) => e)),
      );
      const refused = many.filter((m): m is RateLimitError => m instanceof RateLimitError);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.code).toBe('tenant_budget_exceeded');
      expect(Number(refused[0]?.headers?.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await tight.close();
    }
  });

  it('bounds requests in flight with 503 and keeps serving', async () => {
    const small = await startGateway({ ir: compiled(POLICY), router: { upstreams: upstreams() }, limits: { maxInFlight: 4 } });
    try {
      fake.script('gpt-mini', { kind: 'echo', delayMs: 200 });
      const results = await Promise.all(
        Array.from({ length: 40 }, () => fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(ask('z')) }).then((r) => r.status)),
      );
      expect(results.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
      expect(results.every((s) => s === 200 || s === 503)).toBe(true);
      fake.script('gpt-mini', undefined);
      expect((await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(ask('z')) })).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('hot reload and shutdown', () => {
  it('swaps the policy under load without losing a request; an edit with errors keeps the old one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-reload-'));
    const file = join(dir, 'policy.route');
    const source = readFileSync(POLICY, 'utf8');
    const toClaude = source.replace('otherwise -> mini fallback claude', 'otherwise -> claude fallback mini');
    writeFileSync(file, source);
    const notices: string[] = [];
    const reloading = await startGateway({
      ir: compiled(file),
      router: { upstreams: upstreams() },
      notice: (l) => notices.push(l),
      reload: async () => {
        const result = compilePolicy(file);
        return result.ir ? { ok: true, ir: result.ir } : { ok: false, diagnostics: result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n') };
      },
    });
    try {
      const c = new OpenAI({ baseURL: `${reloading.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const first = reloading.version;
      let stop = false;
      const statuses: (number | string)[] = [];
      const models = new Set<string>();
      const load = Array.from({ length: 8 }, async () => {
        while (!stop) {
          const r = await c.chat.completions
            .create(ask('load'))
            .withResponse()
            .then(
              (x) => {
                models.add(x.response.headers.get('x-routelang-model') ?? '');
                return 200;
              },
              (e: unknown) => (e instanceof APIError ? (e.status ?? 'error') : String(e)),
            );
          statuses.push(r);
        }
      });
      for (let i = 0; i < 6; i++) {
        writeFileSync(file, i % 2 === 0 ? toClaude : source);
        expect(await reloading.reload()).toBe(true);
        await new Promise((r) => setTimeout(r, 30));
      }
      writeFileSync(file, `${source}\nroute { otherwise -> nowhere }\n`);
      expect(await reloading.reload()).toBe(false);
      await expect.poll(() => statuses.length, { timeout: 10_000 }).toBeGreaterThan(40);
      stop = true;
      await Promise.all(load);
      expect(statuses.length).toBeGreaterThan(40);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(models).toEqual(new Set(['mini', 'claude']));
      expect(reloading.version).toBe(first);
      expect(notices.at(-1)).toMatch(/reload rejected/);
    } finally {
      await reloading.close();
    }
  });

  describe('routelang serve (the CLI)', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGKILL');
    });

    it('serves a policy whose tools and validators come from --hooks; refuses it without them', async () => {
      const args = serveArgs(join(HERE, '../examples/support-assistant/policy.route'));
      const refused = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      refused.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      expect(await new Promise((resolve) => refused.on('exit', resolve))).toBe(1);
      expect(err).toMatch(/no adapter for tool `kb`/);
      child = spawn(process.execPath, [...args, '--hooks', join(HERE, 'gateway/hooks.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const proc = child;
      const url = await listening(proc);
      const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const fromKb = await c.chat.completions.create({ ...ask('how do I reset my password?'), metadata: { tenant: 'initech' } }).withResponse();
      expect(fromKb.data.choices[0]?.message.content).toBe('Reset it at https://example.com/reset.');
      const cascaded = await c.chat.completions.create({ ...ask('hello'), metadata: { tenant: 'initech' } }).withResponse();
      expect(cascaded.data.choices[0]?.message.content).toBe('echo: hello');
      expect(cascaded.response.headers.get('x-routelang-model')).toBe('mini');
    });

    it('prints where it listens, serves, and on SIGTERM drains an open stream, then exits 0', async () => {
      child = spawn(process.execPath, serveArgs(POLICY), { stdio: ['ignore', 'pipe', 'pipe'] });
      const proc = child;
      const url = await listening(proc);
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      fake.script('gpt-mini', { kind: 'echo', chunkDelayMs: 40 });
      const stream = await c.chat.completions.create({ ...ask('a b c d e f g h i j k l m n o p q r s t'), stream: true });
      let text = '';
      let signalled = false;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (!signalled && text.length > 0) {
          signalled = true;
          proc.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, 100));
          // Draining: new connections are refused while the open stream finishes.
          expect(
            await fetch(`${url}/healthz`).then(
              () => 'answered',
              () => 'refused',
            ),
          ).toBe('refused');
        }
      }
      expect(text).toBe('echo: a b c d e f g h i j k l m n o p q r s t');
      expect(await exited).toBe(0);
    });
  });
});

/** `node routelang serve POLICY` on a free port, in front of the fake upstream. */
function serveArgs(policy: string): string[] {
  const args = [join(HERE, '../packages/dsl/bin/routelang.js'), 'serve', policy, '--port', '0', '--log', 'none', '--no-watch'];
  for (const [name, url] of Object.entries(upstreams())) args.push('--upstream', `${name}=${url}`);
  return args;
}

/** Resolves with the URL a `routelang serve` process prints once it listens. */
function listening(proc: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

/** A strict parser of the Prometheus text format: every line a comment, blank, or `name{labels} value`. */
function parsePrometheus(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1)) as string;
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}
