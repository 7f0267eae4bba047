// A fake LLM upstream speaking both protocols the gateway calls — OpenAI chat completions
// (`POST /v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`), streaming and
// not — for the demo (`pnpm serve`), the tests and the benchmark. It answers
// `echo: <the last user message>`; with `tools` in the request (and `tool_choice` not
// `none`) it asks for the first tool instead, unless the conversation already holds a tool
// result. Each model id can be scripted to fail in the ways real upstreams do.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the upstream treats a model's requests. */
export type Behaviour =
  | { readonly kind: 'echo'; readonly delayMs?: number; readonly chunkDelayMs?: number; readonly usage?: boolean }
  /** An HTTP error in the protocol's error shape. */
  | { readonly kind: 'status'; readonly status: number; readonly message?: string }
  /** Accepts the connection and never answers. */
  | { readonly kind: 'hang' }
  /** 200 with a body that is not the protocol (not JSON; for streams, `data:` lines of garbage). */
  | { readonly kind: 'garbage' }
  /** Streams `chunks` pieces of the answer, then drops the connection. */
  | { readonly kind: 'cut'; readonly chunks: number };

/** One request the upstream received. */
export interface Received {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Record<string, unknown>;
}

export interface FakeUpstream {
  /** e.g. `http://127.0.0.1:PORT/v1`: the base URL of both protocols. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly received: Received[];
  /** Responses the caller closed before they ended (a cancelled upstream call). */
  readonly abandoned: () => number;
  /** Sets how a model id is treated (`undefined`: back to echo). */
  script(modelId: string, behaviour: Behaviour | undefined): void;
  close(): Promise<void>;
}

/** Starts the fake upstream on 127.0.0.1 (port 0: a free one). */
export async function startFakeUpstream(options: { port?: number; host?: string; defaultBehaviour?: Behaviour } = {}): Promise<FakeUpstream> {
  const scripts = new Map<string, Behaviour>();
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableEnded) abandoned++;
    });
    readBody(req).then(
      (text) => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: { message: 'the body is not JSON', type: 'invalid_request_error' } });
        }
        const path = (req.url ?? '').split('?')[0] ?? '';
        if (received.length >= 10_000) received.shift();
        received.push({ path, headers: req.headers, body });
        const protocol = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : undefined;
        if (req.method !== 'POST' || !protocol) return send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } });
        const behaviour = scripts.get(String(body.model)) ?? options.defaultBehaviour ?? { kind: 'echo' };
        void answer(protocol, body, behaviour, res, hanging);
      },
      () => res.destroy(),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    received,
    abandoned: () => abandoned,
    script(modelId, behaviour) {
      if (behaviour) scripts.set(modelId, behaviour);
      else scripts.delete(modelId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drops the connection once what was written has reached the caller (a cut mid-answer, not before it). */
async function cut(res: ServerResponse): Promise<void> {
  await wait(50);
  res.destroy();
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'object' && p !== null && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

/** What the model "says": a tool call, or the echo of the last user message. */
function reply(
  protocol: 'openai' | 'anthropic',
  body: Record<string, unknown>,
): { text: string; tool?: { name: string; arguments: string }; truncated?: boolean } {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  const users = messages.filter((m) => m.role === 'user');
  const last = users[users.length - 1];
  const lastText = textOf(last?.content);
  const hasToolResult =
    protocol === 'openai'
      ? messages.some((m) => m.role === 'tool')
      : messages.some((m) => Array.isArray(m.content) && (m.content as { type?: unknown }[]).some((b) => b.type === 'tool_result'));
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  const choice = body.tool_choice;
  const noTools = choice === 'none' || (typeof choice === 'object' && choice !== null && (choice as { type?: unknown }).type === 'none');
  if (tools.length > 0 && !noTools && !hasToolResult) {
    const first = tools[0] as Record<string, unknown>;
    const name = protocol === 'openai' ? String((first.function as { name?: unknown } | undefined)?.name ?? '') : String(first.name ?? '');
    return { text: '', tool: { name, arguments: JSON.stringify({ query: lastText }) } };
  }
  // Like a real model, it stops at the request's max_tokens (a word is a token here).
  const said = words(`echo: ${lastText}`);
  const limit = Number(body.max_tokens ?? body.max_completion_tokens);
  if (Number.isSafeInteger(limit) && limit > 0 && said.length > limit) return { text: said.slice(0, limit).join('').trimEnd(), truncated: true };
  return { text: said.join('') };
}

const words = (text: string): string[] => text.match(/\S+\s*/g) ?? [];
const count = (messages: unknown): number =>
  (Array.isArray(messages) ? messages : []).reduce((n: number, m) => n + words(textOf((m as { content?: unknown }).content)).length, 0);

async function answer(
  protocol: 'openai' | 'anthropic',
  body: Record<string, unknown>,
  behaviour: Behaviour,
  res: ServerResponse,
  hanging: Set<ServerResponse>,
): Promise<void> {
  if (behaviour.kind === 'hang') {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return;
  }
  if (behaviour.kind === 'status') {
    const message = behaviour.message ?? `scripted HTTP ${behaviour.status}`;
    return send(
      res,
      behaviour.status,
      protocol === 'openai' ? { error: { message, type: 'server_error', code: null } } : { type: 'error', error: { type: 'api_error', message } },
    );
  }
  const stream = body.stream === true;
  if (behaviour.kind === 'garbage') {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('<html>502 Bad Gateway</html>');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return void res.end('data: {not json\n\n');
  }
  const delay = behaviour.kind === 'echo' ? (behaviour.delayMs ?? 0) : 0;
  if (delay > 0) await wait(delay);
  const said = reply(protocol, body);
  const inputTokens = count(body.messages) + (typeof body.system === 'string' ? words(body.system).length : 0);
  const outputTokens = said.tool ? 8 : words(said.text).length;
  const model = String(body.model);
  const withUsage = behaviour.kind !== 'echo' || behaviour.usage !== false;
  if (!stream) {
    if (protocol === 'openai') {
      return send(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: said.tool
              ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: said.tool }] }
              : { role: 'assistant', content: said.text },
            finish_reason: said.tool ? 'tool_calls' : said.truncated ? 'length' : 'stop',
          },
        ],
        ...(withUsage ? { usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens } } : {}),
      });
    }
    return send(res, 200, {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model,
      content: said.tool
        ? [{ type: 'tool_use', id: 'toolu_1', name: said.tool.name, input: JSON.parse(said.tool.arguments) }]
        : [{ type: 'text', text: said.text }],
      stop_reason: said.tool ? 'tool_use' : said.truncated ? 'max_tokens' : 'end_turn',
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunkDelay = behaviour.kind === 'echo' ? (behaviour.chunkDelayMs ?? 0) : 0;
  const pieces = said.tool ? [] : words(said.text);
  const limit = behaviour.kind === 'cut' ? behaviour.chunks : Number.POSITIVE_INFINITY;
  const event = (name: string | undefined, data: unknown): void => {
    if (!res.destroyed) res.write(`${name ? `event: ${name}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
  if (protocol === 'openai') {
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
    event(undefined, { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (let i = 0; i < pieces.length; i++) {
      if (i >= limit) return cut(res);
      if (chunkDelay > 0) await wait(chunkDelay);
      event(undefined, { ...base, choices: [{ index: 0, delta: { content: pieces[i] }, finish_reason: null }] });
    }
    if (said.tool) {
      event(undefined, {
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: said.tool.name, arguments: '' } }] },
            finish_reason: null,
          },
        ],
      });
      event(undefined, {
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: said.tool.arguments } }] }, finish_reason: null }],
      });
    }
    event(undefined, { ...base, choices: [{ index: 0, delta: {}, finish_reason: said.tool ? 'tool_calls' : said.truncated ? 'length' : 'stop' }] });
    const options = body.stream_options as { include_usage?: unknown } | undefined;
    if (withUsage && options?.include_usage === true) {
      event(undefined, {
        ...base,
        choices: [],
        usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
      });
    }
    event(undefined, '[DONE]');
    return void res.end();
  }
  event('message_start', {
    type: 'message_start',
    message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], usage: { input_tokens: inputTokens, output_tokens: 1 } },
  });
  if (said.tool) {
    event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_1', name: said.tool.name, input: {} },
    });
    event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: said.tool.arguments } });
  } else {
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    event('ping', { type: 'ping' });
    for (let i = 0; i < pieces.length; i++) {
      if (i >= limit) return cut(res);
      if (chunkDelay > 0) await wait(chunkDelay);
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: pieces[i] } });
    }
  }
  event('content_block_stop', { type: 'content_block_stop', index: 0 });
  event('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: said.tool ? 'tool_use' : said.truncated ? 'max_tokens' : 'end_turn' },
    usage: { output_tokens: outputTokens },
  });
  event('message_stop', { type: 'message_stop' });
  res.end();
}
