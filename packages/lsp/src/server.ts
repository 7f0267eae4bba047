// The protocol layer: wires an LSP connection to the workspace and the feature modules.
// It owns no language knowledge. Every handler is guarded: a bug in a feature becomes an
// error response and a log line, never a crashed server.

import { compilePolicy, drawRoutes, format, type Diagnostic as RlDiagnostic, runPolicyTests, type SourceFile, toDot, toSvg } from '@routelang/dsl';
import type { TokenizerName } from '@routelang/runtime';
import {
  type Connection,
  type Diagnostic,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  type InitializeResult,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import { AnalysisCancelled, type Analyzer } from './analysis.js';
import { toLspDiagnostic } from './convert.js';
import { codeActions } from './features/code-actions.js';
import { completion } from './features/completion.js';
import { hover } from './features/hover.js';
import { codeLenses, inlayHints, RUN_TESTS_COMMAND } from './features/lenses.js';
import { definition, highlights, prepareRename, references, rename } from './features/navigation.js';
import { documentSymbols, foldingRanges, semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from './features/outline.js';
import { pathToUri, uriToPath } from './uri.js';
import { Workspace, type WorkspaceFileSystem } from './workspace.js';

/** `{ uri }` → `{ ok, errors, warnings, ir }`: the policy's IR artifact (null when it has errors). */
export const COMPILE_REQUEST = 'routelang/compile';
/** `{ uri }` → `{ ok, errors, svg, dot, routes }`: the decision graphs as one SVG picture, and as Graphviz DOT (for a client with a layout engine). */
export const GRAPH_REQUEST = 'routelang/graph';

/** The answer to `routelang/graph`. */
export interface GraphResponse {
  readonly ok: boolean;
  readonly errors: number;
  readonly svg: string | null;
  /** The same graphs in Graphviz's DOT language: the VS Code extension and the playground lay them out with Graphviz. */
  readonly dot: string | null;
  readonly routes: readonly { readonly title: string; readonly nodes: number }[];
}

/** Sent after the analyses of an open document's version have been published: `{ uri, version }`. */
export const ANALYSED_NOTIFICATION = 'routelang/analysed';

/** The editor settings the server reads (`routelang.*`). */
export interface ServerSettings {
  /** The tokenizer that counts `prompt.tokens` when tests run. */
  readonly tokenizer: TokenizerName;
  /** The least severe diagnostics shown. */
  readonly diagnosticsLevel: 'error' | 'warning' | 'info';
}

const DEFAULT_SETTINGS: ServerSettings = { tokenizer: 'o200k_base', diagnosticsLevel: 'info' };

/** Reads settings sent by a client (`{ routelang: { tokenizer, diagnostics: { level } } }` or the inner object), ignoring bad values. */
export function readSettings(value: unknown, base: ServerSettings = DEFAULT_SETTINGS): ServerSettings {
  const root = typeof value === 'object' && value !== null ? ((value as { routelang?: unknown }).routelang ?? value) : {};
  const r = (typeof root === 'object' && root !== null ? root : {}) as { tokenizer?: unknown; diagnostics?: { level?: unknown } };
  const tokenizer = r.tokenizer === 'o200k_base' || r.tokenizer === 'cl100k_base' ? r.tokenizer : base.tokenizer;
  const level = r.diagnostics?.level;
  const diagnosticsLevel = level === 'error' || level === 'warning' || level === 'info' ? level : base.diagnosticsLevel;
  return { tokenizer, diagnosticsLevel };
}

/** Options of a server instance. */
export interface ServerOptions {
  /** Longest wait before re-checking after an edit; the wait adapts to how long the last check took (default 250 ms). */
  readonly maxDebounceMs?: number;
}

/** Starts serving the language on `connection`. Returns the workspace (for embedding and tests). */
export function startServer(connection: Connection, fs: WorkspaceFileSystem, analyzer: Analyzer, options: ServerOptions = {}): Workspace {
  const workspace = new Workspace(fs);
  const maxDebounce = options.maxDebounceMs ?? 250;
  /** URIs we published diagnostics to, so files that became clean get an empty list. */
  const published = new Set<string>();
  let settings = DEFAULT_SETTINGS;
  const RANK = { error: 0, warning: 1, info: 2 } as const;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let analysisTimer: ReturnType<typeof setTimeout> | undefined;
  let lastCheckMs = 0;
  let lastCheckEnd = Number.NEGATIVE_INFINITY;
  let canWatch = false;

  const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));
  /** The error response for a handler that threw (logged, unless it is already a response). */
  const failure = (name: string, error: unknown): ResponseError<void> => {
    if (error instanceof ResponseError) return error as ResponseError<void>;
    connection.console.error(`routelang: ${name} failed: ${describe(error)}`);
    return new ResponseError(ErrorCodes.InternalError, `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  };
  /** A request handler that answers an error response instead of throwing. */
  const strict =
    <P extends unknown[], R>(name: string, handler: (...args: P) => R) =>
    (...args: P): R | ResponseError<void> => {
      try {
        return handler(...args);
      } catch (error) {
        return failure(name, error);
      }
    };
  /** A request handler that answers `fallback` instead of throwing (an error response when there is none, or for a bad request). */
  const guard =
    <P extends unknown[], R>(name: string, fallback: R, handler: (...args: P) => R) =>
    (...args: P): R | ResponseError<void> => {
      try {
        return handler(...args);
      } catch (error) {
        const response = failure(name, error);
        return fallback === undefined || error instanceof ResponseError ? response : fallback;
      }
    };
  /** A notification handler that logs instead of throwing. */
  const notify =
    <P extends unknown[]>(name: string, handler: (...args: P) => void) =>
    (...args: P): void => {
      try {
        handler(...args);
      } catch (error) {
        connection.console.error(`routelang: ${name} failed: ${describe(error)}`);
      }
    };
  const path = (uri: string): string => {
    const p = uriToPath(uri);
    if (p === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `only file:// documents are served, not ${uri}`);
    return p;
  };

  /** Publishes, for every file the open documents include, the union of their diagnostics. */
  const publishAll = (): void => {
    try {
      const byFile = new Map<string, { list: Diagnostic[]; seen: Set<string> }>();
      for (const p of workspace.openPaths()) {
        const analysis = workspace.analysis(p);
        const sourceOf = (f: string): SourceFile | undefined => analysis.source(f);
        for (const file of analysis.front.program.modules.keys()) if (!byFile.has(file)) byFile.set(file, { list: [], seen: new Set() });
        for (const d of workspace.diagnostics(p)) {
          if (RANK[d.severity] > RANK[settings.diagnosticsLevel]) continue;
          const entry = byFile.get(d.file) ?? { list: [], seen: new Set<string>() };
          byFile.set(d.file, entry);
          const id = idOf(d);
          if (entry.seen.has(id)) continue;
          const lsp = toLspDiagnostic(d, sourceOf);
          if (!lsp) continue;
          entry.seen.add(id);
          entry.list.push(lsp);
        }
      }
      const now = new Set<string>();
      for (const [file, { list }] of byFile) {
        const uri = pathToUri(file);
        now.add(uri);
        const version = workspace.document(file)?.version;
        connection.sendDiagnostics({ uri, diagnostics: list, ...(version !== undefined ? { version } : {}) });
      }
      for (const uri of published) if (!now.has(uri)) connection.sendDiagnostics({ uri, diagnostics: [] });
      published.clear();
      for (const uri of now) published.add(uri);
    } catch (error) {
      connection.console.error(`routelang: checking failed: ${describe(error)}`);
    }
  };

  /**
   * Checks in two phases. The front end (syntax, names, types) runs here and its diagnostics
   * go out at once, with the analyses' previous findings moved along with the edits; the
   * analyses (graph, counterexamples, costs, tests) run in the analyzer and their findings
   * replace the carried ones when they arrive, if no newer edit came first.
   */
  const publish = (): void => {
    timer = undefined;
    const started = performance.now();
    publishAll();
    lastCheckEnd = performance.now();
    lastCheckMs = lastCheckEnd - started;
    // The analyses start once the requests that follow an edit (completion, hover) had their turn.
    analysisTimer = setTimeout(startAnalyses, Math.max(50, Math.round(lastCheckMs)));
  };

  const startAnalyses = (): void => {
    analysisTimer = undefined;
    const generation = workspace.generation;
    const overlay = workspace.overlay();
    for (const p of workspace.openPaths()) {
      if (workspace.analysis(p).hasErrors) continue;
      analyzer.analyze(p, generation, overlay, settings.tokenizer).then(
        (report) => {
          if (!workspace.setReport(report)) return;
          publishAll();
          // Tells clients (and tests) that this version's analyses are in: diagnostics, hints, lenses.
          void connection.sendNotification(ANALYSED_NOTIFICATION, { uri: pathToUri(report.entry), version: workspace.document(report.entry)?.version ?? null });
          void connection.languages.inlayHint.refresh().catch(() => undefined);
          void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
        },
        (error: unknown) => {
          if (!(error instanceof AnalysisCancelled)) connection.console.error(`routelang: analysis failed: ${describe(error)}`);
        },
      );
    }
  };

  /**
   * Leading edge after a pause, debounced during a burst: the first edit after the user
   * paused is checked at once; edits that follow while checks are still recent wait as long
   * as a check takes (at most `maxDebounceMs`), so fast typing on a large file does not queue
   * one check per keystroke.
   */
  const schedule = (): void => {
    // Work on the old text is useless now, and would compete with the new check for the CPU.
    analyzer.cancel();
    if (analysisTimer) clearTimeout(analysisTimer);
    if (timer) clearTimeout(timer);
    const idle = performance.now() - lastCheckEnd > 2 * lastCheckMs + 20;
    timer = setTimeout(publish, idle ? 0 : Math.min(maxDebounce, Math.round(lastCheckMs)));
  };

  connection.onInitialize((params): InitializeResult => {
    const folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined);
    if (folders.length === 0 && params.rootUri) {
      const root = uriToPath(params.rootUri);
      if (root) folders.push(root);
    }
    workspace.setFolders(folders);
    canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    settings = readSettings(params.initializationOptions);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        completionProvider: { triggerCharacters: ['.', ' ', '[', ',', '{', ':', '='], resolveProvider: false },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [RUN_TESTS_COMMAND] },
        semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true },
      },
      serverInfo: { name: 'routelang', version: '0.1.0' },
    };
  });
  connection.onInitialized(() => {
    if (canWatch) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.route' }] });
  });

  connection.onDidOpenTextDocument(
    notify('open', (p) => {
      workspace.open(path(p.textDocument.uri), p.textDocument.text, p.textDocument.version);
      schedule();
    }),
  );
  connection.onDidChangeTextDocument(
    notify('change', (p) => {
      workspace.change(path(p.textDocument.uri), p.contentChanges, p.textDocument.version);
      schedule();
    }),
  );
  connection.onDidCloseTextDocument(
    notify('close', (p) => {
      workspace.close(path(p.textDocument.uri));
      schedule();
    }),
  );
  connection.onDidChangeConfiguration(
    notify('configuration', (p) => {
      settings = readSettings(p.settings, settings);
      workspace.filesChanged();
      schedule();
    }),
  );
  connection.onDidChangeWatchedFiles(
    notify('watched files', () => {
      workspace.filesChanged();
      schedule();
    }),
  );

  connection.onCompletion(guard('completion', [], (p) => completion(workspace, path(p.textDocument.uri), p.position)));
  connection.onHover(guard('hover', null, (p) => hover(workspace, path(p.textDocument.uri), p.position)));
  connection.onDefinition(guard('definition', [], (p) => definition(workspace, path(p.textDocument.uri), p.position)));
  connection.onReferences(guard('references', [], (p) => references(workspace, path(p.textDocument.uri), p.position, p.context.includeDeclaration)));
  connection.onDocumentHighlight(guard('highlight', [], (p) => highlights(workspace, path(p.textDocument.uri), p.position)));
  connection.onPrepareRename(guard('prepare rename', null, (p) => prepareRename(workspace, path(p.textDocument.uri), p.position)));
  connection.onRenameRequest(
    guard('rename', undefined, (p) => {
      // A client may omit it: renaming to "undefined" is not an answer.
      if (typeof p.newName !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'rename needs `newName`, the new name as a string');
      return rename(workspace, path(p.textDocument.uri), p.position, p.newName);
    }),
  );
  connection.onDocumentSymbol(guard('document symbols', [], (p) => documentSymbols(workspace, path(p.textDocument.uri))));
  connection.onFoldingRanges(guard('folding', [], (p) => foldingRanges(workspace, path(p.textDocument.uri))));
  connection.languages.semanticTokens.on(guard('semantic tokens', { data: [] }, (p) => semanticTokens(workspace, path(p.textDocument.uri))));
  connection.onCodeAction(guard('code actions', [], (p) => codeActions(workspace, path(p.textDocument.uri), p.range)));
  connection.languages.inlayHint.on(guard('inlay hints', [], (p) => inlayHints(workspace, path(p.textDocument.uri), p.range)));
  connection.onCodeLens(guard('code lens', [], (p) => codeLenses(workspace, path(p.textDocument.uri))));
  connection.onDocumentFormatting(
    guard('formatting', undefined, (p) => {
      const file = path(p.textDocument.uri);
      const document = workspace.document(file);
      if (!document) return [];
      const result = format(document.getText(), file);
      // A file that does not parse is left alone: formatting must never change meaning.
      if (!result.ok)
        return new ResponseError(LSPErrorCodes.RequestFailed, `cannot format: the file has syntax errors (${result.diagnostics[0]?.message ?? ''})`);
      if (result.text === document.getText()) return [];
      return [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(document.getText().length) }, newText: result.text }];
    }),
  );
  connection.onExecuteCommand(async (p) => {
    if (p.command !== RUN_TESTS_COMMAND) return new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}`);
    try {
      const [uri, name] = (p.arguments ?? []) as [unknown, unknown];
      if (typeof uri !== 'string') return new ResponseError(ErrorCodes.InvalidParams, `${RUN_TESTS_COMMAND} takes a document URI and optionally a test name`);
      const { compilation, ir, diagnostics } = compilePolicy(path(uri), workspace.host());
      if (!compilation || !ir) return { ok: false, errors: diagnostics.filter((d) => d.severity === 'error').length, outcomes: [] };
      const report = await runPolicyTests(compilation, ir, { tokenizer: settings.tokenizer });
      const outcomes = report.outcomes
        .filter((o) => typeof name !== 'string' || o.name === name)
        .map((o) => ({ name: o.name, passed: o.passed, failures: o.failures }));
      return { ok: outcomes.every((o) => o.passed), errors: 0, outcomes };
    } catch (error) {
      return new ResponseError(ErrorCodes.InternalError, `running tests failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  // For the editor's commands: the IR artifact, and the decision graph as a picture.
  connection.onRequest(
    COMPILE_REQUEST,
    strict('compile', (p: { uri: string }) => {
      const result = compilePolicy(path(p.uri), workspace.host());
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      return { ok: result.ir !== undefined, errors, warnings: result.diagnostics.length - errors, ir: result.ir ?? null };
    }),
  );
  connection.onRequest(
    GRAPH_REQUEST,
    strict('graph', (p: { uri: string }): GraphResponse => {
      const result = compilePolicy(path(p.uri), workspace.host());
      if (!result.compilation) return { ok: false, errors: result.diagnostics.filter((d) => d.severity === 'error').length, svg: null, dot: null, routes: [] };
      const drawings = drawRoutes(result);
      return { ok: true, errors: 0, svg: toSvg(drawings), dot: toDot(drawings), routes: drawings.map((d) => ({ title: d.title, nodes: d.nodes.length })) };
    }),
  );
  connection.onShutdown(() => analyzer.dispose());
  connection.listen();
  return workspace;
}

function idOf(d: RlDiagnostic): string {
  return `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
}
