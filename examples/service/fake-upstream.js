// A fake OpenAI-compatible upstream for the example service: `POST /v1/chat/completions`
// answers like a provider would (usage counted roughly by words, a latency per model, a 429
// now and then), so the service runs end to end with no API key and no network.
// `POST /v1/admin/outage {"model": "claude-sonnet", "down": true}` makes one model fail with
// 503 until cleared, to watch fallbacks and circuit breakers work.
import { createServer } from 'node:http';

/** Latency (ms) per upstream model id; unknown ids answer in 50 ms. */
const LATENCY = { 'gpt-4o-mini': 40, 'gpt-4.1': 90, 'claude-sonnet': 120, 'claude-opus': 250, 'llama-3.1-8b-instruct': 30, 'llama-3.1-70b-instruct': 80 };

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 5_000_000) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the fake upstream on 127.0.0.1 (`port` 0 picks a free one).
 * @param {{ port?: number, rateLimitEvery?: number }} options
 * @returns {Promise<{ url: string, close: () => Promise<void>, calls: Map<string, number> }>}
 */
export async function startFakeUpstream({ port = 0, rateLimitEvery = 0 } = {}) {
  const down = new Set();
  const calls = new Map();
  let count = 0;
  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const body = JSON.parse((await readBody(req)) || '{}');
      if (req.method === 'POST' && req.url === '/v1/admin/outage') {
        if (body.down) down.add(body.model);
        else down.delete(body.model);
        return send(200, { down: [...down] });
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(404, { error: { message: 'not found' } });
      const model = String(body.model ?? '');
      calls.set(model, (calls.get(model) ?? 0) + 1);
      count++;
      await new Promise((r) => setTimeout(r, LATENCY[model] ?? 50));
      if (down.has(model)) return send(503, { error: { message: `${model} is unavailable` } });
      if (rateLimitEvery > 0 && count % rateLimitEvery === 0) return send(429, { error: { message: 'rate limited' } });
      const prompt = String(body.messages?.at(-1)?.content ?? '');
      const words = prompt.split(/\s+/).filter(Boolean).length;
      const answer = `(${model}) You asked about "${prompt.slice(0, 60)}${prompt.length > 60 ? '…' : ''}". Here is a considered answer.`;
      const completion = Math.min(body.max_tokens ?? 200, 20 + (words % 40));
      send(200, {
        id: `chatcmpl-${count}`,
        object: 'chat.completion',
        model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer } }],
        usage: { prompt_tokens: Math.ceil(words * 1.3) + 7, completion_tokens: completion, total_tokens: Math.ceil(words * 1.3) + 7 + completion },
      });
    } catch (error) {
      send(400, { error: { message: error instanceof Error ? error.message : String(error) } });
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
