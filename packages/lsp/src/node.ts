// The Node.js entry point: serves the language over stdio (or any stream pair the client
// chose: `--stdio`, `--node-ipc`, `--socket=N`), reading files from disk.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeHost } from '@routelang/dsl';
import { type Connection, createConnection, ProposedFeatures, StreamMessageWriter } from 'vscode-languageserver/node';
import { ResyncingReader } from './reader.js';
import { type ServerOptions, startServer } from './server.js';
import { WorkerAnalyzer } from './worker-analyzer.js';
import type { Workspace, WorkspaceFileSystem } from './workspace.js';

/** At most this many `.route` files are searched for references in one folder. */
const MAX_FILES = 5000;

/** Reads from disk. */
export const nodeFileSystem: WorkspaceFileSystem = {
  readFile: (path) => nodeHost().readFile(path),
  listRouteFiles(folder) {
    const out: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 20 || out.length >= MAX_FILES) return;
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full, depth + 1);
        else if (entry.isFile() && entry.name.endsWith('.route') && out.length < MAX_FILES) out.push(full);
      }
    };
    walk(folder, 0);
    return out;
  },
};

/**
 * The connection the command line asks for. Over stdio the messages are read by a reader that
 * survives bad framing (see reader.ts); like the library's own stdio connection, the process
 * ends when its input does (0 after a `shutdown` request, 1 otherwise).
 */
function defaultConnection(): Connection {
  if (!process.argv.includes('--stdio')) return createConnection(ProposedFeatures.all);
  const reader = new ResyncingReader(process.stdin);
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout));
  const exit = (): never => process.exit(reader.shutdownRequested ? 0 : 1);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  return connection;
}

/** Starts the server on this process's connection (stdio by default). */
export function startNodeServer(options: ServerOptions = {}, connection: Connection = defaultConnection()): Workspace {
  // A bug must never take the editor's language support down with it.
  process.on('uncaughtException', (error) => connection.console.error(`routelang: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (error) => connection.console.error(`routelang: ${String(error)}`));
  // The bundled server (the VS Code extension) names its bundled worker at build time.
  const worker = new URL(`./${process.env.ROUTELANG_ANALYSIS_WORKER ?? 'analysis-worker.js'}`, import.meta.url);
  return startServer(connection, nodeFileSystem, new WorkerAnalyzer(worker), options);
}
