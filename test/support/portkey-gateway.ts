// Portkey's real AI gateway for the tests: the server the installed @portkey-ai/gateway
// (a dev dependency) ships, started as its own process on a free port and stopped after.
// It calls only the upstreams its configs name (`custom_host`), which the tests start on
// 127.0.0.1.

import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from './ports.js';

const require = createRequire(import.meta.url);

export interface PortkeyGateway {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Sends a chat completion with a config (the `x-portkey-config` header) and optional metadata. */
  chat(
    config: unknown,
    options?: { metadata?: Record<string, unknown>; body?: Record<string, unknown> },
  ): Promise<{ status: number; body: unknown; lastUsed: string | null }>;
  stop(): Promise<void>;
}

export async function startPortkeyGateway(): Promise<PortkeyGateway> {
  const port = await freePort();
  const script = require.resolve('@portkey-ai/gateway/build/start-server.js');
  const child: ChildProcess = spawn(process.execPath, [script, `--port=${port}`, '--headless'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Portkey's gateway did not start in 30 s:\n${output}`)), 30_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready for connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Portkey's gateway exited (${code}):\n${output}`));
    });
  });
  // Its per-request log lines are not needed; keep the pipes drained.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async chat(config, options = {}) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-portkey-config': JSON.stringify(config),
          ...(options.metadata ? { 'x-portkey-metadata': JSON.stringify(options.metadata) } : {}),
        },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...options.body }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: kept as text.
      }
      return { status: response.status, body, lastUsed: response.headers.get('x-portkey-last-used-option-index') };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
