// `routelang serve POLICY`: compiles the policy in-process (or loads an IR `.json`) and
// serves it as an OpenAI-compatible gateway (@routelang/gateway). The CLI owns the compiler
// and the gateway owns HTTP; the gateway gets recompilation as a function, so it never
// imports the compiler and there is no cycle (dsl → gateway → runtime).
//
// Reloads: the policy's files (imports included) are watched; SIGHUP reloads too. An edit
// with errors keeps the old policy serving and prints the diagnostics. SIGTERM and SIGINT
// drain requests in flight and exit 0.

import { readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type ExternClassifier, type ModelAdapter, openAICompatible, type PolicyIR, RouterLoadError, type Scorer, type ToolAdapter } from '@routelang/runtime';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

export interface ServeOptions {
  readonly policy: string;
  readonly host: string;
  readonly port: number;
  /** `NAME=URL`: where a provider is served (replaces a declared `base_url`; an undeclared one speaks OpenAI's protocol). */
  readonly upstreams: readonly string[];
  readonly keys: string | undefined;
  /** `-` standard output (default), `none`, or a file to append to. */
  readonly log: string;
  readonly logPrompts: boolean;
  readonly requestsPerMinute: number | undefined;
  readonly maxBodyBytes: number | undefined;
  readonly firstTokenTimeoutMs: number | undefined;
  /** `redis://HOST:PORT/DB`: the state the instances of a fleet share (docs/deployment.md). */
  readonly state?: string | undefined;
  readonly stateMode?: 'open' | 'strict' | undefined;
  readonly watch: boolean;
  /** A module whose exports `tools`, `validators`, `classifiers`, `adapters` and `schemas` are host code the policy names. */
  readonly hooks: string | undefined;
  /** Serves the live dashboard at `/dashboard` (its data behind an admin key when `keys` is given). */
  readonly dashboard?: boolean;
}

const HOOK_KINDS = ['tools', 'validators', 'classifiers', 'adapters', 'schemas'] as const;

/** Loads `--hooks FILE`: each export named in HOOK_KINDS must be an object (of functions, or of JSON Schemas for `schemas`). */
async function loadHooks(file: string): Promise<Record<string, Record<string, unknown>>> {
  const { pathToFileURL } = await import('node:url');
  const module = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const out: Record<string, Record<string, unknown>> = {};
  for (const kind of HOOK_KINDS) {
    const value = module[kind];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: \`${kind}\` must be an object keyed by name`);
    for (const [name, entry] of Object.entries(value)) {
      const ok = kind === 'schemas' ? typeof entry === 'object' && entry !== null : typeof entry === 'function';
      if (!ok) throw new Error(`${file}: \`${kind}.${name}\` must be ${kind === 'schemas' ? 'a JSON Schema object' : 'a function'}`);
    }
    out[kind] = value as Record<string, unknown>;
  }
  const unknown = Object.keys(module).filter((k) => !(HOOK_KINDS as readonly string[]).includes(k) && k !== 'default');
  if (unknown.length > 0)
    throw new Error(
      `${file}: unknown export${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `\`${k}\``).join(', ')}; hooks export ${HOOK_KINDS.join(', ')}`,
    );
  return out;
}

type Compiled = { ok: true; ir: PolicyIR; files: string[]; warnings: string } | { ok: false; diagnostics: string };

function compileFor(file: string, io: CommandIO): Compiled {
  if (file.endsWith('.json')) {
    try {
      return { ok: true, ir: JSON.parse(readFileSync(file, 'utf8')) as PolicyIR, files: [resolve(file)], warnings: '' };
    } catch (error) {
      return { ok: false, diagnostics: `${file}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const result = compilePolicy(file);
  const lookup = (f: string) => result.program.modules.get(f)?.source;
  const text = result.diagnostics.length > 0 ? renderText(result.diagnostics, lookup, io.color) : '';
  if (hasErrors(result.diagnostics) || !result.ir) return { ok: false, diagnostics: text || `${file}: not compiled` };
  return { ok: true, ir: result.ir, files: [...result.program.modules.keys()], warnings: text };
}

/** Runs the gateway until SIGTERM/SIGINT; returns the exit code. */
export async function runServe(options: ServeOptions, io: CommandIO): Promise<number> {
  const { startGateway, KeyStore } = await import('@routelang/gateway');
  const first = compileFor(options.policy, io);
  if (!first.ok) {
    io.err(first.diagnostics);
    io.err(`routelang serve: ${options.policy} has errors; nothing served`);
    return 1;
  }
  if (first.warnings) io.err(first.warnings);
  const upstreams: Record<string, string> = {};
  for (const spec of options.upstreams) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const url = spec.slice(eq + 1);
    if (eq <= 0 || !/^https?:\/\/[^\s/]+/.test(url)) {
      io.err(`routelang serve: --upstream takes NAME=URL (an http(s) URL), not \`${spec}\``);
      return 2;
    }
    upstreams[name] = url;
  }
  const declared = new Set((first.ir.providers ?? []).map((p) => p.name));
  // An upstream for an undeclared provider speaks OpenAI's protocol (vLLM, Ollama, a proxy…).
  const adapters: Record<string, ModelAdapter> = {};
  for (const [name, url] of Object.entries(upstreams)) if (!declared.has(name)) adapters[name] = openAICompatible({ baseUrl: url });
  for (const p of first.ir.providers ?? []) {
    // A provider sent elsewhere with --upstream (a local server, a fake) may need no key.
    if (p.apiKeyEnv !== undefined && process.env[p.apiKeyEnv] === undefined && upstreams[p.name] === undefined) {
      io.err(`routelang serve: warning: ${p.apiKeyEnv} is not set; calls to provider \`${p.name}\` go without a key`);
    }
  }
  if (declared.size === 0 && Object.keys(adapters).length === 0 && options.hooks === undefined) {
    io.err('routelang serve: the policy declares no `provider`, so nothing says where its models are served: declare providers or pass --upstream NAME=URL');
    return 1;
  }
  let hooks: Record<string, Record<string, unknown>> = {};
  if (options.hooks !== undefined) {
    try {
      hooks = await loadHooks(options.hooks);
    } catch (error) {
      io.err(`routelang serve: --hooks: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  Object.assign(adapters, hooks.adapters);
  let keys: InstanceType<typeof KeyStore> | undefined;
  if (options.keys !== undefined) {
    try {
      keys = KeyStore.load(options.keys);
    } catch (error) {
      io.err(`routelang serve: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  const log =
    options.log === 'none'
      ? undefined
      : options.log === '-'
        ? (line: string) => io.out(line)
        : await (async () => {
            const { appendFileSync } = await import('node:fs');
            const path = options.log;
            return (line: string) => appendFileSync(path, `${line}\n`);
          })();
  let files = first.files;
  let state: import('@routelang/redis').RedisState | undefined;
  if (options.state !== undefined) {
    const { redisState } = await import('@routelang/redis');
    try {
      state = redisState({ url: options.state, ...(options.stateMode ? { mode: options.stateMode } : {}) });
    } catch (error) {
      io.err(`routelang serve: --state: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    // Serving starts either way: without the shared state, `open` serves locally and `strict` refuses budgeted requests.
    if (!(await state.ready(2_000))) io.err(`routelang serve: the shared state does not answer yet; serving in ${state.mode} mode until it does`);
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      ir: first.ir,
      router: {
        ...(Object.keys(adapters).length > 0 ? { adapters: adapters as Record<string, ModelAdapter> } : {}),
        ...(hooks.tools ? { tools: hooks.tools as Record<string, ToolAdapter> } : {}),
        ...(hooks.validators ? { validators: hooks.validators as Record<string, Scorer> } : {}),
        ...(hooks.classifiers ? { classifiers: hooks.classifiers as Record<string, ExternClassifier> } : {}),
        ...(hooks.schemas ? { schemas: hooks.schemas as Record<string, object> } : {}),
        upstreams,
        ...(state ? { state } : {}),
        ...(options.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: options.firstTokenTimeoutMs } : {}),
      },
      host: options.host,
      port: options.port,
      ...(keys ? { keys } : {}),
      limits: {
        ...(options.requestsPerMinute !== undefined ? { requestsPerMinute: options.requestsPerMinute } : {}),
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      },
      ...(log ? { log } : {}),
      logPrompts: options.logPrompts,
      ...(options.dashboard ? { dashboard: true } : {}),
      notice: (line) => io.err(`routelang serve: ${line}`),
      reload: async () => {
        const next = compileFor(options.policy, io);
        if (!next.ok) return next;
        if (next.warnings) io.err(next.warnings);
        files = next.files;
        return { ok: true, ir: next.ir };
      },
    });
  } catch (error) {
    await state?.close();
    if (error instanceof RouterLoadError) {
      io.err(`routelang serve: ${error.message}`);
      for (const e of error.errors) io.err(`  ${e.path}: ${e.message}`);
      return 1;
    }
    io.err(`routelang serve: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.out(`listening on ${gateway.url}`);
  if (options.dashboard) {
    io.err(`routelang serve: the dashboard is at ${gateway.url}/dashboard/`);
    if (keys && keys.admins === 0) io.err('routelang serve: the keys file has no admin key, so nobody can open the dashboard (`routelang keys add --admin`)');
  }

  // Watch the folders (editors replace files by renaming, which a watch on the file loses).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchers = options.watch
    ? [...new Set(files.map((f) => dirname(f)))].map((dir) =>
        watch(dir, (_event, name) => {
          if (name === null || !files.some((f) => dirname(f) === dir && basename(f) === String(name))) return;
          clearTimeout(timer);
          timer = setTimeout(() => void gateway.reload(), 100);
        }),
      )
    : [];
  const onHangup = (): void => void gateway.reload();
  process.on('SIGHUP', onHangup);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      io.err('routelang serve: shutting down; finishing requests in flight');
      void gateway.close().then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  clearTimeout(timer);
  for (const w of watchers) w.close();
  process.off('SIGHUP', onHangup);
  // After the drain: settles of the last requests reach the shared state before it closes.
  await state?.close();
  return 0;
}

/**
 * `routelang keys add --tenant NAME [--keys FILE]` (or `--admin`, a key for the dashboard
 * that makes no model calls): prints a new key once; stores its digest.
 */
export async function runKeysAdd(who: { tenant: string } | { admin: true }, file: string, io: CommandIO): Promise<number> {
  const { addAdminKey, addKey } = await import('@routelang/gateway');
  try {
    const key = 'tenant' in who ? addKey(file, who.tenant) : addAdminKey(file);
    io.out(key);
    io.err(
      `added ${'tenant' in who ? `a key for tenant \`${who.tenant}\`` : 'an admin key'} to ${file} (only its SHA-256 is stored; this is the only time the key is shown)`,
    );
    return 0;
  } catch (error) {
    io.err(`routelang keys: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
