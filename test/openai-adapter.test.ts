// The OpenAI-compatible adapter against a fake upstream the test starts on 127.0.0.1:
// answers, usage, error classes, the API key from the environment, timeouts, and a run()
// that falls back across two "providers" over real HTTP.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { openAICompatible, ProviderError, Router } from '../packages/runtime/src/index.js';

let server: Server;
let base = '';
const seen: { model: string; auth: string | undefined; maxTokens: number | undefined }[] = [];

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; max_tokens?: number; messages: { content: string }[] };
      seen.push({ model: body.model, auth: req.headers.authorization, maxTokens: body.max_tokens });
      const prompt = body.messages[0]?.content ?? '';
      if (body.model === 'limited') return reply(res, 429, { error: { message: 'slow down' } });
      if (body.model === 'broken') return reply(res, 503, { error: { message: 'overloaded' } });
      if (body.model === 'unknown') return reply(res, 404, { error: { message: 'no such model' } });
      if (body.model === 'unauthorised') return reply(res, 401, { error: { message: 'bad key' } });
      if (body.model === 'filtered')
        return reply(res, 200, { choices: [{ message: { content: null, refusal: 'I cannot help with that' }, finish_reason: 'stop' }] });
      if (body.model === 'sleepy') return void setTimeout(() => reply(res, 200, { choices: [{ message: { content: 'late' } }] }), 2_000);
      reply(res, 200, { choices: [{ message: { content: `echo: ${prompt}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 3 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const model = (id: string) => ({
  name: id,
  provider: 'p',
  id,
  inputPrice: 0,
  outputPrice: 0,
  context: 1000,
  deployment: 'cloud' as const,
  regions: [],
  tags: [],
});

describe('openAICompatible', () => {
  it('returns the answer and usage, sending the key from the environment and max_tokens', async () => {
    process.env.ROUTELANG_TEST_KEY = 'sk-test';
    const adapter = openAICompatible({ baseUrl: `${base}/`, apiKeyEnv: 'ROUTELANG_TEST_KEY' });
    const answer = await adapter({
      model: model('gpt-x'),
      prompt: 'hello',
      maxTokens: 64,
      timeoutMs: 5_000,
      signal: new AbortController().signal,
      promptTokens: 1,
      countTokens: () => 1,
    });
    expect(answer).toEqual({ text: 'echo: hello', usage: { inputTokens: 12, outputTokens: 3 }, finishReason: 'stop' });
    expect(seen.at(-1)).toEqual({ model: 'gpt-x', auth: 'Bearer sk-test', maxTokens: 64 });
  });

  it('maps failures to error classes', async () => {
    const adapter = openAICompatible({ baseUrl: base });
    const classOf = async (id: string, signal = new AbortController().signal) =>
      adapter({ model: model(id), prompt: 'x', maxTokens: undefined, timeoutMs: 5_000, signal, promptTokens: 1, countTokens: () => 1 }).then(
        () => 'ok',
        (e: unknown) => (e instanceof ProviderError ? `${e.errorClass}${e.status ? ` ${e.status}` : ''}` : 'untyped'),
      );
    expect(await classOf('limited')).toBe('rate_limit 429');
    expect(await classOf('broken')).toBe('server_error 503');
    expect(await classOf('unknown')).toBe('client_error 404');
    expect(await classOf('unauthorised')).toBe('client_error 401');
    expect(await classOf('filtered')).toBe('refusal');
    expect(await classOf('sleepy', AbortSignal.timeout(100))).toBe('timeout');
  });

  it('serves run(): a fallback across two providers over HTTP', async () => {
    const text = `policy http
model primary { provider = "upstream_a" id = "broken" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }
model backup { provider = "upstream_b" id = "gpt-x" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }
input { prompt: text }
route { otherwise -> primary fallback backup }
`;
    const path = '/virtual/http.route';
    const { ir } = compilePolicy(path, nodeHost(new Map([[path, text]])));
    const router = await Router.load(ir, {
      tokenizer: () => 1,
      adapters: { upstream_a: openAICompatible({ baseUrl: base }), upstream_b: openAICompatible({ baseUrl: base }) },
    });
    const result = await router.run({ prompt: 'ping' });
    expect(result.ok && [result.text, result.model]).toEqual(['echo: ping', 'backup']);
    expect(result.attempts.map((a) => [a.target, a.outcome, a.errorClass ?? null])).toEqual([
      ['primary', 'error', 'server_error'],
      ['backup', 'ok', null],
    ]);
  });
});
