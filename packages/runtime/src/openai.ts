// A model adapter for any OpenAI-compatible chat completions endpoint (OpenAI, vLLM,
// llama.cpp, Ollama, OpenRouter, LiteLLM, Azure-style gateways…), over node:http (or the host's fetch), streaming
// when the caller streams. HTTP failures become the error classes fallbacks are written
// against (see `upstreamError`); an upstream that sends garbage fails like an outage.

import { type ChatMessage, type ModelAdapter, type ModelAnswer, type ModelCall, ProviderError } from './execute.js';
import { readSse } from './sse.js';
import { fetchTransport, nodeTransport, type Transport, type UpstreamResponse } from './transport.js';

export interface OpenAICompatibleOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. */
  readonly baseUrl: string;
  /** The name of the environment variable holding the API key (read per call, never logged). */
  readonly apiKeyEnv?: string;
  /** Extra headers (an organisation, a gateway route…). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
}

interface ChatCompletion {
  readonly choices?: readonly {
    readonly message?: { readonly content?: string | null; readonly refusal?: string | null; readonly tool_calls?: unknown[] };
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: { readonly prompt_tokens?: number; readonly completion_tokens?: number };
}

interface ChatChunk {
  readonly choices?: readonly {
    readonly delta?: { readonly content?: string | null; readonly refusal?: string | null; readonly tool_calls?: readonly ToolCallDelta[] };
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: { readonly prompt_tokens?: number; readonly completion_tokens?: number } | null;
}

interface ToolCallDelta {
  readonly index?: number;
  readonly id?: string;
  readonly type?: string;
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

/** The error class of an upstream's HTTP failure (the status is kept for `fallback … on [503]`). */
export function upstreamError(status: number, detail: string, what: string): ProviderError {
  const errorClass =
    status === 429
      ? 'rate_limit'
      : status === 408 || status === 504
        ? 'timeout'
        : /content.?(filter|policy|management)/i.test(detail)
          ? 'refusal'
          : // The upstream refused the call itself (bad request, key, model name): not an outage,
            // and the same call would fail again, so it is never retried.
            status >= 400 && status <= 499
            ? 'client_error'
            : 'server_error';
  return new ProviderError(errorClass, `${what}: HTTP ${status}${detail ? ` ${detail.slice(0, 200)}` : ''}`, status);
}

/** The transport of an adapter: the host's `fetch` if given, else `node:http(s)` with keep-alive. */
export function transportOf(doFetch: typeof fetch | undefined): Transport {
  return doFetch ? fetchTransport(doFetch) : nodeTransport;
}

/** Sends a request; network failures and HTTP errors become `ProviderError`s. */
export async function post(
  transport: Transport,
  url: string,
  init: { headers: Record<string, string>; body: unknown; signal: AbortSignal },
  what: string,
): Promise<UpstreamResponse> {
  let response: UpstreamResponse;
  try {
    response = await transport(url, { signal: init.signal, headers: init.headers, body: JSON.stringify(init.body) });
  } catch (error) {
    if (init.signal.aborted) throw new ProviderError('timeout', `${what}: the request was aborted`);
    throw new ProviderError('server_error', `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status < 200 || response.status > 299) {
    const detail = await response.text().catch(() => '');
    throw upstreamError(response.status, detail, what);
  }
  return response;
}

/** Parses one JSON payload of an upstream; garbage is a server error. */
export function parseJson<T>(text: string, what: string): T {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value as T;
  } catch {
    throw new ProviderError('server_error', `${what}: the upstream sent something that is not JSON`);
  }
}

/** The messages of a call: the conversation, or the prompt as one user message. */
export function messagesOf(call: ModelCall): readonly ChatMessage[] {
  return call.messages ?? [{ role: 'user', content: call.prompt }];
}

/** Builds an adapter; the model's `id` from the catalogue is sent as `model`. */
export function openAICompatible(options: OpenAICompatibleOptions): ModelAdapter {
  const transport = transportOf(options.fetch);
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return async (call) => {
    const { model, maxTokens, signal } = call;
    const what = model.id;
    const key = options.apiKeyEnv ? process.env[options.apiKeyEnv] : undefined;
    const stream = call.onDelta !== undefined;
    const body: Record<string, unknown> = {
      ...call.passthrough,
      model: model.id,
      messages: messagesOf(call),
      ...(maxTokens !== undefined && call.passthrough?.max_tokens === undefined && call.passthrough?.max_completion_tokens === undefined
        ? { max_tokens: maxTokens }
        : {}),
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    };
    if (!stream) delete body.stream_options;
    const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
    const response = await post(transport, url, { headers, body, signal }, what);
    if (!stream) {
      const completion = parseJson<ChatCompletion>(await response.text().catch(() => ''), what);
      return answerOf(completion, call, what);
    }
    return streamAnswer(response.body, call, what);
  };
}

function answerOf(body: ChatCompletion, call: ModelCall, what: string): ModelAnswer {
  const choice = body.choices?.[0];
  if (choice?.message?.refusal || choice?.finish_reason === 'content_filter') {
    throw new ProviderError('refusal', `${what}: ${choice.message?.refusal ?? 'refused by the content filter'}`);
  }
  const content = choice?.message?.content;
  const toolCalls = choice?.message?.tool_calls;
  if (typeof content !== 'string' && !(Array.isArray(toolCalls) && toolCalls.length > 0)) {
    throw new ProviderError('server_error', `${what}: the response has no message content`);
  }
  const text = typeof content === 'string' ? content : '';
  return {
    text,
    usage: usageOf(body.usage?.prompt_tokens, body.usage?.completion_tokens, call, text),
    ...(Array.isArray(toolCalls) && toolCalls.length > 0 ? { toolCalls } : {}),
    ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
  };
}

/** The upstream's token counts where it gave sound ones, else the prompt's count and the answer counted with the policy's tokenizer. */
export function usageOf(input: unknown, output: unknown, call: ModelCall, text: string): ModelAnswer['usage'] {
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return { inputTokens: count(input) ? input : call.promptTokens, outputTokens: count(output) ? output : call.countTokens(text) };
}

async function streamAnswer(body: AsyncIterable<Uint8Array>, call: ModelCall, what: string): Promise<ModelAnswer> {
  let text = '';
  let finishReason: string | undefined;
  let usage: ChatChunk['usage'];
  let done = false;
  const tools: { id?: string; type: string; function: { name: string; arguments: string } }[] = [];
  for await (const event of readSse(body, what)) {
    // After `[DONE]` the body is read to its end rather than cut: cutting it closes the
    // connection, and the next call would pay for a new one.
    if (done) continue;
    if (event.data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = parseJson<ChatChunk & { error?: { message?: string } }>(event.data, what);
    if (chunk.error) throw new ProviderError('server_error', `${what}: the stream failed: ${String(chunk.error.message ?? 'an error event')}`);
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (delta?.refusal) throw new ProviderError('refusal', `${what}: ${delta.refusal}`);
    if (typeof delta?.content === 'string' && delta.content !== '') {
      text += delta.content;
      call.onDelta?.(delta.content);
    }
    for (const t of delta?.tool_calls ?? []) {
      const i = typeof t.index === 'number' ? t.index : tools.length;
      const slot = tools[i] ?? { type: 'function', function: { name: '', arguments: '' } };
      tools[i] = slot;
      if (t.id) slot.id = t.id;
      if (t.function?.name) slot.function.name += t.function.name;
      if (t.function?.arguments) slot.function.arguments += t.function.arguments;
    }
  }
  if (finishReason === 'content_filter') throw new ProviderError('refusal', `${what}: refused by the content filter`);
  // A stream cut before its end (no `[DONE]` and no finish reason) is a failure, not a short answer.
  if (!done && finishReason === undefined) throw new ProviderError('server_error', `${what}: the stream ended before the answer did`);
  const toolCalls = tools.filter(Boolean);
  return {
    text,
    usage: usageOf(usage?.prompt_tokens, usage?.completion_tokens, call, text),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(finishReason ? { finishReason } : {}),
  };
}
