// Server-sent events, read from a fetch response body: what OpenAI's and Anthropic's
// streaming endpoints send. One event per blank-line-terminated block; `data:` lines are
// joined with newlines; comments (`:`) are skipped. A line longer than `maxLine` (an upstream
// sending garbage without newlines) fails the stream instead of growing a buffer forever.

import { ProviderError } from './execute.js';

export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
}

/** The longest event the reader buffers (1 MiB): a streamed chunk is a few hundred bytes. */
const MAX_EVENT = 1 << 20;

/** Yields the events of a `text/event-stream` body. */
export async function* readSse(body: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<SseEvent> {
  const reader = body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  try {
    while (true) {
      let chunk: IteratorResult<Uint8Array>;
      try {
        chunk = await reader.next();
      } catch (error) {
        throw new ProviderError('server_error', `${what}: the stream broke: ${error instanceof Error ? error.message : String(error)}`);
      }
      const { value, done } = chunk;
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = undefined;
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(text);
          else if (field === 'event') event = text;
        }
        newline = buffer.indexOf('\n');
      }
      if (buffer.length > MAX_EVENT) throw new ProviderError('server_error', `${what}: the stream sent a line longer than ${MAX_EVENT} bytes`);
    }
    if (data.length > 0) yield { event, data: data.join('\n') };
  } finally {
    // Stops the body (a Node stream is destroyed, a web stream cancelled): the upstream call ends.
    await reader.return?.().catch(() => {});
  }
}
