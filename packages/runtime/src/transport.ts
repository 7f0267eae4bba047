// How provider adapters send a request upstream. By default over `node:http`/`node:https`
// with keep-alive agents: Node's global `fetch` (undici's WHATWG layer: request cloning,
// web streams, an AbortSignal per request) cost about a third of the gateway's CPU per
// request in a profile, for nothing the adapters use. A host that passes its own `fetch`
// (a proxy-aware one, a test double) gets it, through the same small interface.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An upstream's answer: its status, and its body read whole or as it comes. */
export interface UpstreamResponse {
  readonly status: number;
  text(): Promise<string>;
  readonly body: AsyncIterable<Uint8Array>;
}

/** Sends one POST; rejects on a network failure or when `signal` aborts before the answer starts. */
export type Transport = (
  url: string,
  init: { readonly headers: Record<string, string>; readonly body: string; readonly signal: AbortSignal },
) => Promise<UpstreamResponse>;

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 1_000, noDelay: true });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 1_000, noDelay: true });

async function readAll(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** The default transport: `node:http(s)` with keep-alive connection pools. */
export const nodeTransport: Transport = (url, { headers, body, signal }) =>
  new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const send = secure ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
      },
      (res) => {
        resolve({ status: res.statusCode ?? 0, text: () => readAll(res), body: res });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** A transport over a `fetch` (the host's own). */
export function fetchTransport(doFetch: typeof fetch): Transport {
  return async (url, { headers, body, signal }) => {
    const response = await doFetch(url, { method: 'POST', headers, body, signal });
    const stream = response.body;
    return {
      status: response.status,
      text: () => response.text(),
      body: stream ? (stream as unknown as AsyncIterable<Uint8Array>) : (async function* () {})(),
    };
  };
}
