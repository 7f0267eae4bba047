// A message reader for stdio that survives bad framing. vscode-jsonrpc's reader, given one
// header with a missing or non-numeric `Content-Length` (or a length shorter than the body),
// consumed the header, kept the body as the start of the next header and never parsed a
// message again: the server stopped answering for the rest of the session. This reader skips
// what it cannot frame to the next `Content-Length:` header and carries on, reporting each
// skipped message as a read error (which the connection logs).

import { AbstractMessageReader, type DataCallback, Disposable, type Message } from 'vscode-languageserver/node';

const HEADER_END = '\r\n\r\n';
const MARKER = /content-length:/gi;
/** Longer messages are refused (the client would have to send that much first). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A header block longer than this without its blank line is garbage. */
const MAX_HEADER_BYTES = 8 * 1024;

/** The `Content-Length` of a header block, or undefined when it has none that is valid. */
function contentLength(headers: string): number | undefined {
  let length: number | undefined;
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z-]+$/.test(name)) return undefined;
    if (name !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,12}$/.test(value)) return undefined;
    length = Number(value);
  }
  return length !== undefined && length <= MAX_MESSAGE_BYTES ? length : undefined;
}

/** Reads LSP base-protocol messages (`Content-Length` framing) and resynchronises after bad ones. */
export class ResyncingReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private callback: DataCallback | undefined;
  /** Whether the client has asked the server to shut down (it may exit 0 when its input ends). */
  shutdownRequested = false;

  constructor(private readonly input: NodeJS.ReadableStream) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('close', onClose);
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('error', onError);
      this.input.off('close', onClose);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      // Headers are ASCII; latin1 maps bytes to characters one to one, so offsets agree.
      const text = this.buffer.toString('latin1', 0, Math.min(this.buffer.length, MAX_HEADER_BYTES + HEADER_END.length));
      const end = text.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) this.skip(text, 'a header block without its end');
        return;
      }
      const length = contentLength(text.slice(0, end));
      if (length === undefined) {
        this.skip(text, `a message whose header has no valid Content-Length (${JSON.stringify(text.slice(0, Math.min(end, 80)))})`);
        continue;
      }
      const start = end + HEADER_END.length;
      if (this.buffer.length < start + length) return;
      const body = this.buffer.subarray(start, start + length).toString('utf8');
      this.buffer = this.buffer.subarray(start + length);
      let message: Message;
      try {
        message = JSON.parse(body) as Message;
      } catch (error) {
        this.fireError(new Error(`skipped a message whose body is not JSON: ${(error as Error).message}`));
        continue;
      }
      if ((message as { method?: unknown }).method === 'shutdown') this.shutdownRequested = true;
      this.callback?.(message);
    }
  }

  /** Drops bytes up to the next `Content-Length:` after the start of the buffer (or all but a possible partial one). */
  private skip(text: string, what: string): void {
    this.fireError(new Error(`skipped ${what}`));
    // From offset 1, so that a bad header that starts with the marker is skipped past.
    const find = (haystack: string): RegExpExecArray | null => {
      MARKER.lastIndex = 1;
      return MARKER.exec(haystack);
    };
    const next = find(text) ?? (this.buffer.length > text.length ? find(this.buffer.toString('latin1')) : null);
    if (next) {
      this.buffer = this.buffer.subarray(next.index);
      return;
    }
    // Keep a tail that may be the start of a header still arriving.
    const all = this.buffer.toString('latin1');
    let keep = 0;
    for (let k = Math.min('content-length:'.length - 1, all.length); k > 0; k--) {
      if ('content-length:'.startsWith(all.slice(all.length - k).toLowerCase())) {
        keep = k;
        break;
      }
    }
    this.buffer = this.buffer.subarray(this.buffer.length - keep);
  }
}
