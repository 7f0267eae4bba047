// examples/service: the runtime embedded in an HTTP service, through the OpenAI-compatible
// adapter, against the bundled fake upstream (both on 127.0.0.1, started here).

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the example is plain JavaScript, without declarations.
import { startFakeUpstream } from '../examples/service/fake-upstream.js';
// @ts-expect-error: the example is plain JavaScript, without declarations.
import { startService } from '../examples/service/service.js';

interface Handle {
  url: string;
  close(): Promise<void>;
}

let upstream: Handle;
let service: Handle;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  service = await startService({ upstream: upstream.url });
});
afterAll(async () => {
  await service?.close();
  await upstream?.close();
});

async function route(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${service.url}/v1/route`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('the example service', () => {
  it('routes by the policy and reports the rule, model, tokens and cost', async () => {
    const code = await route({ prompt: 'write a function that parses ISO dates', tenant: 'initech', region: 'us' });
    expect(code.status).toBe(200);
    expect(code.json).toMatchObject({ model: 'coder', rule: { line: 39 }, fallbacks: 0 });
    expect(code.json.cost as number).toBeGreaterThan(0);
    const pii = await route({ prompt: 'my card is 4111 1111 1111 1111', tenant: 'acme', pii: true });
    expect(pii.json).toMatchObject({ model: 'local', rule: { label: 'PII stays on premises' } });
    const kb = await route({ prompt: 'how do I reset my password?', tenant: 'initech' });
    expect(kb.json).toMatchObject({ model: null, text: expect.stringContaining('Reset password') });
  });

  it('falls back when the upstream model is down', async () => {
    await fetch(`${upstream.url}/admin/outage`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4.1', down: true }) });
    try {
      const r = await route({ prompt: 'write a function that sorts', tenant: 'initech', region: 'us' });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ model: 'sonnet', fallbacks: 1 });
      expect((r.json.attempts as { target: string; errorClass?: string }[])[0]).toMatchObject({ target: 'coder', errorClass: 'server_error' });
    } finally {
      await fetch(`${upstream.url}/admin/outage`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4.1', down: false }) });
    }
  });

  it('answers bad requests with one error per field, and serves metrics', async () => {
    const bad = await route({ prompt: 'hi', tenant: 'x', region: 'mars', colour: 'red' });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['colour', 'region']);
    expect((await route('{not json')).status).toBe(400);
    const metrics = (await (await fetch(`${service.url}/v1/metrics`)).json()) as { models: Record<string, { count: number }> };
    expect(metrics.models.coder?.count).toBeGreaterThanOrEqual(2);
  });
});

describe('a client that leaves', () => {
  it('half way through sending a body neither rejects unhandled nor stops the service', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', onRejection);
    try {
      const { port } = new URL(service.url);
      for (let i = 0; i < 3; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
        socket.write('POST /v1/route HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt": "half');
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(rejections).toEqual([]);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
