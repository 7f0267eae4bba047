// The browser entry point (a web worker): serves the language over postMessage, for web
// editors such as vscode.dev or Monaco. There is no disk: files are the documents the
// editor opened, so imports resolve only between open documents.

import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { InlineAnalyzer } from './analysis.js';
import { type ServerOptions, startServer } from './server.js';
import type { Workspace, WorkspaceFileSystem } from './workspace.js';

/** A file system with no files: everything the server reads comes from open documents. */
export const emptyFileSystem: WorkspaceFileSystem = {
  readFile: () => ({ kind: 'missing', reason: 'is not open in the editor' }),
  listRouteFiles: () => [],
};

declare const self: ConstructorParameters<typeof BrowserMessageReader>[0];

/** Starts the server in this worker. */
export function startBrowserServer(options: ServerOptions = {}): Workspace {
  const connection = createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self));
  const host = (overlay: ReadonlyMap<string, string>) => ({
    readFile: (path: string) => {
      const text = overlay.get(path);
      return text === undefined ? emptyFileSystem.readFile(path) : { kind: 'text' as const, text };
    },
  });
  return startServer(connection, emptyFileSystem, new InlineAnalyzer(host), options);
}

startBrowserServer();
