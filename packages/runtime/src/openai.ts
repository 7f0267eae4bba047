// A model adapter for any OpenAI-compatible chat completions endpoint (OpenAI, vLLM,
// llama.cpp, LiteLLM, Azure-style gateways…), over `fetch`. HTTP failures become the
// error classes fallbacks are written against: 429 → rate_limit, 5xx → server_error,
// a content-filter refusal → refusal, an aborted request → timeout.

import { type ModelAdapter, ProviderError } from './execute.js';

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
  readonly choices?: readonly { readonly message?: { readonly content?: string | null; readonly refusal?: string | null }; readonly finish_reason?: string }[];
  readonly usage?: { readonly prompt_tokens?: number; readonly completion_tokens?: number };
}

/** Builds an adapter; the model's `id` from the catalogue is sent as `model`. */
export function openAICompatible(options: OpenAICompatibleOptions): ModelAdapter {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return async ({ model, prompt, maxTokens, signal }) => {
    const key = options.apiKeyEnv ? process.env[options.apiKeyEnv] : undefined;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
        body: JSON.stringify({ model: model.id, messages: [{ role: 'user', content: prompt }], ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}) }),
      });
    } catch (error) {
      if (signal.aborted) throw new ProviderError('timeout', `${model.id}: the request was aborted`);
      throw new ProviderError('server_error', `${model.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 200);
      const errorClass =
        response.status === 429
          ? 'rate_limit'
          : response.status >= 500 || response.status === 408
            ? 'server_error'
            : /content.?(filter|policy)/i.test(detail)
              ? 'refusal'
              : 'server_error';
      throw new ProviderError(errorClass, `${model.id}: HTTP ${response.status}${detail ? ` ${detail}` : ''}`);
    }
    const body = (await response.json().catch(() => ({}))) as ChatCompletion;
    const choice = body.choices?.[0];
    if (choice?.message?.refusal || choice?.finish_reason === 'content_filter') {
      throw new ProviderError('refusal', `${model.id}: ${choice.message?.refusal ?? 'refused by the content filter'}`);
    }
    const text = choice?.message?.content;
    if (typeof text !== 'string') throw new ProviderError('server_error', `${model.id}: the response has no message content`);
    return { text, usage: { inputTokens: body.usage?.prompt_tokens ?? 0, outputTokens: body.usage?.completion_tokens ?? 0 } };
  };
}
