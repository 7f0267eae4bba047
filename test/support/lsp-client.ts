// A language client for tests and benchmarks: spawns the real server binary over stdio and
// speaks JSON-RPC to it, as an editor does. Collects published diagnostics so tests can wait
// for the ones that follow an edit.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

const SERVER = fileURLToPath(new URL('../../packages/lsp/bin/routelang-lsp.js', import.meta.url));

export const uri = (path: string): string => pathToFileURL(path).href;

export class LspClient {
  readonly connection: MessageConnection;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly logs: string[] = [];
  /** The URIs named by each `routelang/analysed` notification, in order. */
  readonly analysed: string[] = [];
  private waiters: { uri: string; version: number | undefined; resolve: (d: Diagnostic[]) => void }[] = [];
  private analysedWaiters: { uri: string; version: number; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();
  private exited: number | null | undefined;

  private constructor(readonly process: ChildProcessWithoutNullStreams) {
    this.connection = createMessageConnection(new StreamMessageReader(process.stdout), new StreamMessageWriter(process.stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== p.uri || (w.version !== undefined && p.version !== w.version)) return true;
        w.resolve(p.diagnostics);
        return false;
      });
    });
    this.connection.onNotification('routelang/analysed', (p: { uri: string; version: number | null }) => {
      this.analysed.push(p.uri);
      this.analysedWaiters = this.analysedWaiters.filter((w) => {
        if (w.uri !== p.uri || w.version !== p.version) return true;
        w.resolve(this.diagnostics.get(p.uri)?.diagnostics ?? []);
        return false;
      });
    });
    this.connection.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/semanticTokens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    process.on('exit', (code) => {
      this.exited = code;
    });
    this.connection.listen();
  }

  /** Starts a server and initializes it with `root` as the workspace folder. */
  static async start(root: string): Promise<LspClient> {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    const client = new LspClient(child);
    await client.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri(root),
      workspaceFolders: [{ uri: uri(root), name: 'test' }],
      capabilities: {
        workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: { completion: { completionItem: { snippetSupport: true } } },
      },
    });
    await client.connection.sendNotification('initialized', {});
    return client;
  }

  /** Whether the server process is still running. */
  get alive(): boolean {
    return this.exited === undefined && this.process.exitCode === null;
  }

  /**
   * Opens a file (its text from disk unless given) and waits for its diagnostics: the front
   * end's (the first publication), or with `analysed` those that include the analyses.
   */
  open(path: string, text?: string, { analysed = false } = {}): Promise<Diagnostic[]> {
    const u = uri(path);
    this.versions.set(u, 1);
    const waiting = analysed ? this.waitAnalysed(u, 1) : this.waitFor(u, 1);
    void this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: u, languageId: 'routelang', version: 1, text: text ?? readFileSync(path, 'utf8') },
    });
    return waiting;
  }

  /** Replaces a document's text and waits for the diagnostics of the new version (see `open`). */
  change(path: string, text: string, { analysed = false } = {}): Promise<Diagnostic[]> {
    const u = uri(path);
    const version = (this.versions.get(u) ?? 1) + 1;
    this.versions.set(u, version);
    const waiting = analysed ? this.waitAnalysed(u, version) : this.waitFor(u, version);
    void this.connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version }, contentChanges: [{ text }] });
    return waiting;
  }

  /** An incremental edit: replace `range` with `text`. */
  edit(path: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }, text: string): Promise<Diagnostic[]> {
    const u = uri(path);
    const version = (this.versions.get(u) ?? 1) + 1;
    this.versions.set(u, version);
    const waiting = this.waitFor(u, version);
    void this.connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version }, contentChanges: [{ range, text }] });
    return waiting;
  }

  close(path: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri(path) } });
  }

  /** The first diagnostics published for `u` (now or later) that satisfy `accept`. */
  until(u: string, accept: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
    const current = this.diagnostics.get(u)?.diagnostics;
    if (current && accept(current)) return Promise.resolve(current);
    return new Promise((resolve) => {
      const wait = (d: Diagnostic[]): void => {
        if (accept(d)) resolve(d);
        else this.waiters.push({ uri: u, version: undefined, resolve: wait });
      };
      this.waiters.push({ uri: u, version: undefined, resolve: wait });
    });
  }

  /** The next diagnostics published for `u` (for `version`, when given). */
  waitFor(u: string, version?: number): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.waiters.push({ uri: u, version, resolve }));
  }

  /** The diagnostics published once the analyses of `version` are in. */
  waitAnalysed(u: string, version: number): Promise<Diagnostic[]> {
    return new Promise((resolve) => this.analysedWaiters.push({ uri: u, version, resolve }));
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // Already gone.
    }
    this.connection.dispose();
    this.process.kill();
  }
}
