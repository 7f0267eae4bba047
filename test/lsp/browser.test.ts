// The browser build of the server: bundled for a web worker with no Node.js modules, it runs
// in a bare JavaScript context (no `require`, no `process`, no file system) and answers the
// protocol over postMessage. Files come only from open documents.

import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, test } from 'vitest';
import { bundle } from '../../packages/lsp/scripts/bundle.js';

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
}

const BUNDLE = new URL('../../packages/lsp/dist/browser.bundle.js', import.meta.url);

beforeAll(async () => {
  await bundle({ minify: false });
}, 60_000);

test('the browser bundle imports no Node.js module', () => {
  const code = readFileSync(BUNDLE, 'utf8');
  expect(code).not.toMatch(/require\(["']node:/);
  expect(code).not.toMatch(/require\(["'](fs|path|child_process|net)["']\)/);
});

test('the browser bundle serves diagnostics, completion and hover in a worker-like context', async () => {
  const sent: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  const self = {
    onmessage: undefined as ((event: { data: Message }) => void) | undefined,
    postMessage(data: Message) {
      sent.push(data);
      for (const w of waiters.splice(0)) w(data);
    },
    addEventListener() {},
  };
  const next = (predicate: (m: Message) => boolean): Promise<Message> =>
    new Promise((resolve) => {
      const found = sent.find(predicate);
      if (found) return resolve(found);
      const wait = (m: Message): void => (predicate(m) ? resolve(m) : void waiters.push(wait));
      waiters.push(wait);
    });
  // A bare context: only globals a web worker has too.
  runInNewContext(readFileSync(BUNDLE, 'utf8'), {
    self,
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    TextEncoder,
    TextDecoder,
    performance,
    AbortController,
    AbortSignal,
    URL,
    Event,
    EventTarget,
    structuredClone,
  });
  const send = (m: Message): void => self.onmessage?.({ data: { jsonrpc: '2.0', ...m } as Message });
  send({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  const init = await next((m) => m.id === 1);
  expect((init.result as { capabilities: { hoverProvider: boolean } }).capabilities.hoverProvider).toBe(true);
  send({ method: 'initialized', params: {} });

  const uri = 'file:///memory/policy.route';
  const text =
    'policy p\nenum Risk { low, high }\nmodel mini { provider = "openai"\n id = "gpt-4o-mini"\n price = { input: $1 per 1M, output: $2 per 1M }\n context = 8k }\ninput { prompt: text\n risk: Risk = low }\nroute {\n  when risk == hihg -> mini\n  otherwise -> mini\n}\n';
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'routelang', version: 1, text } } });
  const published = await next((m) => m.method === 'textDocument/publishDiagnostics');
  const diagnostics = (published.params as { diagnostics: { code: string; message: string }[] }).diagnostics;
  expect(diagnostics.map((d) => d.code)).toEqual(['RL2007']);
  expect(diagnostics[0]?.message).toContain('did you mean `high`?');

  send({ id: 2, method: 'textDocument/completion', params: { textDocument: { uri }, position: { line: 9, character: 15 } } });
  const completion = await next((m) => m.id === 2);
  expect((completion.result as { label: string }[]).map((i) => i.label)).toEqual(['low', 'high']);
  send({ id: 3, method: 'textDocument/hover', params: { textDocument: { uri }, position: { line: 9, character: 24 } } });
  const hover = await next((m) => m.id === 3);
  expect(JSON.stringify(hover.result)).toContain('**model** `mini`');
}, 30_000);
