// A model adapter for Anthropic's Messages API (native, not through an OpenAI shim), over
// `fetch`, streaming when the caller streams. The call arrives in OpenAI's chat format (the
// gateway's lingua franca) and is translated both ways:
//   - `system` messages → the `system` parameter; `tool` messages → `tool_result` blocks;
//     an assistant's `tool_calls` → `tool_use` blocks; consecutive same-role messages merged;
//   - `tools` ({ type: 'function', function: { name, description, parameters } }) →
//     { name, description, input_schema }; `tool_choice` auto/required/none/{function} →
//     { type: auto|any|none|tool }; `stop` → `stop_sequences`; `temperature`, `top_p` kept;
//     fields Anthropic has no counterpart for (`n`, `logprobs`, `response_format`, `seed`…)
//     are not sent (an unknown field is a 400 there);
//   - the answer's `tool_use` blocks → OpenAI `tool_calls`; `stop_reason` end_turn/
//     stop_sequence → `stop`, max_tokens → `length`, tool_use → `tool_calls`, refusal → a
//     `refusal` error.
// HTTP failures map as for OpenAI (429 rate_limit, 529 overloaded and 5xx server_error).

import { type ChatMessage, type ModelAdapter, type ModelAnswer, type ModelCall, ProviderError } from './execute.js';
import { messagesOf, parseJson, post, transportOf, usageOf } from './openai.js';
import { readSse } from './sse.js';

export interface AnthropicOptions {
  /** e.g. `https://api.anthropic.com/v1`. */
  readonly baseUrl: string;
  /** The name of the environment variable holding the API key (read per call, never logged). */
  readonly apiKeyEnv?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  /** The `anthropic-version` header (default `2023-06-01`). */
  readonly version?: string;
}

/** Anthropic requires `max_tokens`: this is sent when neither the plan nor the catalogue gives one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

interface Block {
  readonly type: string;
  readonly text?: string;
  readonly id?: string;
  readonly name?: string;
  readonly input?: unknown;
}

interface MessagesResponse {
  readonly content?: readonly Block[];
  readonly stop_reason?: string | null;
  readonly usage?: { readonly input_tokens?: number; readonly output_tokens?: number };
}

const FINISH: Readonly<Record<string, string>> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', pause_turn: 'stop' };

/** Builds an adapter for Anthropic's Messages API; the model's `id` is sent as `model`. */
export function anthropicMessages(options: AnthropicOptions): ModelAdapter {
  const transport = transportOf(options.fetch);
  const url = `${options.baseUrl.replace(/\/+$/, '')}/messages`;
  return async (call) => {
    const what = call.model.id;
    const key = options.apiKeyEnv ? process.env[options.apiKeyEnv] : undefined;
    const stream = call.onDelta !== undefined;
    const body = { ...translateRequest(call), stream };
    const headers = {
      'content-type': 'application/json',
      'anthropic-version': options.version ?? '2023-06-01',
      ...(key ? { 'x-api-key': key } : {}),
      ...options.headers,
    };
    const response = await post(transport, url, { headers, body, signal: call.signal }, what);
    if (!stream) return answerOf(parseJson<MessagesResponse>(await response.text().catch(() => ''), what), call, what);
    return streamAnswer(response.body, call, what);
  };
}

/** The Messages request for an OpenAI-shaped call. */
export function translateRequest(call: ModelCall): Record<string, unknown> {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: unknown[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: unknown[]): void => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of messagesOf(call)) {
    const role = m.role;
    if (role === 'system' || role === 'developer') {
      system.push(textOf(m.content));
    } else if (role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: String(m.tool_call_id ?? ''), content: textOf(m.content) }]);
    } else if (role === 'assistant') {
      const blocks: unknown[] = [];
      const text = textOf(m.content);
      if (text !== '') blocks.push({ type: 'text', text });
      for (const t of Array.isArray(m.tool_calls) ? (m.tool_calls as ChatMessage[]) : []) {
        const fn = (t.function ?? {}) as { name?: unknown; arguments?: unknown };
        blocks.push({ type: 'tool_use', id: String(t.id ?? ''), name: String(fn.name ?? ''), input: parseArguments(fn.arguments) });
      }
      if (blocks.length > 0) push('assistant', blocks);
    } else {
      push('user', contentBlocks(m.content));
    }
  }
  const p = call.passthrough ?? {};
  const maxTokens = typeof p.max_tokens === 'number' ? p.max_tokens : typeof p.max_completion_tokens === 'number' ? p.max_completion_tokens : call.maxTokens;
  const tools = Array.isArray(p.tools)
    ? (p.tools as ChatMessage[]).map((t) => {
        const fn = (t.function ?? {}) as { name?: unknown; description?: unknown; parameters?: unknown };
        return { name: fn.name, ...(fn.description !== undefined ? { description: fn.description } : {}), input_schema: fn.parameters ?? { type: 'object' } };
      })
    : undefined;
  const stop = typeof p.stop === 'string' ? [p.stop] : Array.isArray(p.stop) ? p.stop : undefined;
  return {
    model: call.model.id,
    max_tokens: maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(typeof p.temperature === 'number' ? { temperature: Math.min(1, p.temperature) } : {}),
    ...(typeof p.top_p === 'number' ? { top_p: p.top_p } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(tools ? { tools } : {}),
    ...(p.tool_choice !== undefined ? { tool_choice: toolChoice(p.tool_choice) } : {}),
  };
}

function toolChoice(choice: unknown): unknown {
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  if (typeof choice === 'object' && choice !== null) {
    const fn = (choice as { function?: { name?: unknown } }).function;
    if (fn?.name !== undefined) return { type: 'tool', name: fn.name };
  }
  return { type: 'auto' };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '',
      )
      .join('');
  }
  return '';
}

function contentBlocks(content: unknown): unknown[] {
  if (Array.isArray(content)) {
    return content.map((part) => {
      const p = part as { type?: unknown; text?: unknown };
      return p.type === 'text' ? { type: 'text', text: String(p.text ?? '') } : part;
    });
  }
  return [{ type: 'text', text: textOf(content) }];
}

function parseArguments(args: unknown): unknown {
  if (typeof args !== 'string') return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

function toolCallOf(block: Block): unknown {
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } };
}

function answerOf(body: MessagesResponse, call: ModelCall, what: string): ModelAnswer {
  if (body.stop_reason === 'refusal') throw new ProviderError('refusal', `${what}: the model refused`);
  if (!Array.isArray(body.content)) throw new ProviderError('server_error', `${what}: the response has no content`);
  const text = body.content
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
  const toolCalls = body.content.filter((b) => b.type === 'tool_use').map(toolCallOf);
  const finish = body.stop_reason ? FINISH[body.stop_reason] : undefined;
  return {
    text,
    usage: usageOf(body.usage?.input_tokens, body.usage?.output_tokens, call, text),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(finish ? { finishReason: finish } : {}),
  };
}

interface StreamEventData {
  readonly type?: string;
  readonly index?: number;
  readonly message?: { readonly usage?: { readonly input_tokens?: number; readonly output_tokens?: number } };
  readonly content_block?: Block;
  readonly delta?: { readonly type?: string; readonly text?: string; readonly partial_json?: string; readonly stop_reason?: string | null };
  readonly usage?: { readonly output_tokens?: number; readonly input_tokens?: number };
  readonly error?: { readonly message?: string; readonly type?: string };
}

async function streamAnswer(body: AsyncIterable<Uint8Array>, call: ModelCall, what: string): Promise<ModelAnswer> {
  let text = '';
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  let stopReason: string | undefined;
  let stopped = false;
  const blocks = new Map<number, { id?: string; name?: string; json: string }>();
  for await (const event of readSse(body, what)) {
    // After `message_stop` the body is read to its end (cutting it would close the connection).
    if (stopped) continue;
    const data = parseJson<StreamEventData>(event.data, what);
    switch (data.type ?? event.event) {
      case 'message_start':
        inputTokens = data.message?.usage?.input_tokens;
        outputTokens = data.message?.usage?.output_tokens;
        break;
      case 'content_block_start':
        if (data.content_block?.type === 'tool_use')
          blocks.set(data.index ?? blocks.size, { id: data.content_block.id, name: data.content_block.name, json: '' });
        break;
      case 'content_block_delta':
        if (data.delta?.type === 'text_delta' && typeof data.delta.text === 'string' && data.delta.text !== '') {
          text += data.delta.text;
          call.onDelta?.(data.delta.text);
        } else if (data.delta?.type === 'input_json_delta') {
          const block = blocks.get(data.index ?? -1);
          if (block) block.json += data.delta.partial_json ?? '';
        }
        break;
      case 'message_delta':
        if (data.delta?.stop_reason) stopReason = data.delta.stop_reason;
        if (typeof data.usage?.output_tokens === 'number') outputTokens = data.usage.output_tokens;
        if (typeof data.usage?.input_tokens === 'number') inputTokens = data.usage.input_tokens;
        break;
      case 'message_stop':
        stopped = true;
        break;
      case 'error': {
        const type = data.error?.type ?? 'error';
        const errorClass = type === 'rate_limit_error' ? 'rate_limit' : 'server_error';
        throw new ProviderError(errorClass, `${what}: the stream failed: ${type}${data.error?.message ? ` ${data.error.message}` : ''}`);
      }
      default:
        break; // `ping` and future events
    }
  }
  if (stopReason === 'refusal') throw new ProviderError('refusal', `${what}: the model refused`);
  if (!stopped) throw new ProviderError('server_error', `${what}: the stream ended before the answer did`);
  const toolCalls = [...blocks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, b]) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: b.json === '' ? '{}' : b.json } }));
  const finish = stopReason ? FINISH[stopReason] : undefined;
  return {
    text,
    usage: usageOf(inputTokens, outputTokens, call, text),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(finish ? { finishReason: finish } : {}),
  };
}
