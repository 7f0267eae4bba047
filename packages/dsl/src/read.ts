// Reading files the tools are given — policies, imports, traffic, profiles, configurations
// to import — without trusting them to be ordinary files. `/dev/zero` read without bound
// (gigabytes in a minute) and a FIFO with no writer hung: a file is opened non-blocking,
// refused unless it is a regular file, and read in chunks up to a cap enforced while
// reading (a file can grow after `stat`, and a device reports size 0).

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The outcome of a bounded read. */
export type BoundedRead =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'too-large'; readonly limit: number }
  | { readonly kind: 'missing'; readonly reason: string };

const CHUNK = 1 << 20;

/** The largest traffic file (JSONL) `simulate` and `diff --traffic` read in one go. */
export const MAX_TRAFFIC_BYTES = 256 * 1024 * 1024;

/** The largest JSON profile `simulate` reads. */
export const MAX_PROFILE_BYTES = 8 * 1024 * 1024;

/** Why a path cannot be read, in words that finish "it …". */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot be read (${code ?? 'unknown error'})`;
}

/**
 * Reads a regular file of at most `limit` bytes. Directories, devices, FIFOs and sockets are
 * refused without reading from them; a file that has more than `limit` bytes is refused after
 * reading `limit + 1` of them, whatever its `stat` said.
 */
export function readBounded(path: string, limit: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { kind: 'missing', reason: reasonOf(error) };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { kind: 'missing', reason: 'is a directory' };
    if (!stat.isFile()) return { kind: 'missing', reason: 'is not a regular file (a device, FIFO or socket)' };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > limit) return { kind: 'too-large', limit };
    }
    return { kind: 'bytes', bytes: Buffer.concat(chunks, total) };
  } catch (error) {
    return { kind: 'missing', reason: reasonOf(error) };
  } finally {
    closeSync(fd);
  }
}

/** A bounded read as UTF-8 text, or a sentence saying why there is none ("it …"). */
export function readBoundedText(path: string, limit: number): { ok: true; text: string } | { ok: false; reason: string } {
  const r = readBounded(path, limit);
  if (r.kind === 'missing') return { ok: false, reason: r.reason };
  if (r.kind === 'too-large') return { ok: false, reason: `is larger than ${formatBytes(r.limit)}, the largest accepted` };
  return { ok: true, text: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('utf8') };
}

/** `8 MiB`, `256 MiB`. */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}
