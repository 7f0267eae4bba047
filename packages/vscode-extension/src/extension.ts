// The VS Code client: starts the bundled language server (which holds all the language
// intelligence) and adds three commands: compile a policy to its IR, run its tests, and
// show its decision graph as a picture.

import * as path from 'node:path';
import type { Viz } from '@viz-js/viz';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

const SERVER_RUN_TESTS = 'routelang.server.runTests';

interface TestRun {
  readonly ok: boolean;
  readonly errors: number;
  readonly outcomes: readonly { readonly name: string; readonly passed: boolean; readonly failures: readonly string[] }[];
}

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.cjs'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const output = vscode.window.createOutputChannel('Routelang', { log: true });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'routelang' }],
    synchronize: { configurationSection: 'routelang', fileEvents: vscode.workspace.createFileSystemWatcher('**/*.route') },
    initializationOptions: (() => {
      const config = vscode.workspace.getConfiguration('routelang');
      return { tokenizer: config.get('tokenizer'), diagnostics: { level: config.get('diagnostics.level') } };
    })(),
    outputChannel: output,
    middleware: {
      // Test lenses run the extension's command, which shows the results.
      provideCodeLenses: async (document, token, next) =>
        ((await next(document, token)) ?? []).map((lens) => {
          if (lens.command?.command === SERVER_RUN_TESTS) lens.command = { ...lens.command, command: 'routelang.runTests' };
          return lens;
        }),
    },
  };
  client = new LanguageClient('routelang', 'Routelang', serverOptions, clientOptions);
  await client.start();
  const c = client;

  const activePolicy = (): vscode.TextDocument | undefined => {
    const document = vscode.window.activeTextEditor?.document;
    if (document?.languageId === 'routelang') return document;
    void vscode.window.showWarningMessage('Open a Routelang policy (.route) first.');
    return undefined;
  };

  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('routelang.compile', async () => {
      const document = activePolicy();
      if (!document) return;
      const result = await c.sendRequest<{ ok: boolean; errors: number; ir: unknown }>('routelang/compile', { uri: document.uri.toString() });
      if (!result.ok) {
        void vscode.window.showErrorMessage(`${path.basename(document.fileName)} has ${result.errors} error(s): see the Problems panel.`);
        return;
      }
      const ir = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(result.ir, null, 2)}\n` });
      await vscode.window.showTextDocument(ir, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    }),
    vscode.commands.registerCommand('routelang.runTests', async (uri?: string, name?: string) => {
      const target = uri ?? activePolicy()?.uri.toString();
      if (!target) return undefined;
      const run = await c.sendRequest<TestRun>('workspace/executeCommand', { command: SERVER_RUN_TESTS, arguments: name ? [target, name] : [target] });
      output.appendLine(`tests of ${vscode.Uri.parse(target).fsPath}`);
      if (run.errors > 0) output.appendLine(`  the policy has ${run.errors} error(s); fix them first`);
      for (const o of run.outcomes) {
        output.appendLine(`  ${o.passed ? 'pass' : 'FAIL'}  ${o.name}`);
        for (const f of o.failures) output.appendLine(`        ${f}`);
      }
      const failed = run.outcomes.filter((o) => !o.passed).length;
      output.appendLine(`${run.outcomes.length - failed} passed, ${failed} failed`);
      output.show(true);
      const message = run.errors > 0 ? 'The policy has errors; tests did not run.' : `${run.outcomes.length - failed} passed, ${failed} failed`;
      void (failed > 0 || run.errors > 0 ? vscode.window.showErrorMessage(message) : vscode.window.showInformationMessage(message));
      // The run, for whoever executed the command (a script, a test).
      return run;
    }),
    vscode.commands.registerCommand('routelang.showGraph', async () => {
      const document = activePolicy();
      if (document) await showGraph(c, document);
    }),
  );
}

const panels = new Map<string, vscode.WebviewPanel>();

/** A webview with the policy's decision graphs, redrawn when the policy's analyses change. */
async function showGraph(c: LanguageClient, document: vscode.TextDocument): Promise<void> {
  const key = document.uri.toString();
  let panel = panels.get(key);
  if (!panel) {
    panel = vscode.window.createWebviewPanel('routelang.graph', `Decision graph: ${path.basename(document.fileName)}`, vscode.ViewColumn.Beside, {
      enableScripts: false,
    });
    panels.set(key, panel);
    const subscription = c.onNotification('routelang/analysed', (p: { uri: string }) => {
      if (p.uri === key && panel) void render(c, panel, key);
    });
    panel.onDidDispose(() => {
      panels.delete(key);
      subscription.dispose();
    });
  }
  panel.reveal(vscode.ViewColumn.Beside);
  await render(c, panel, key);
}

async function render(c: LanguageClient, panel: vscode.WebviewPanel, uri: string): Promise<void> {
  const graph = await c.sendRequest<{ ok: boolean; errors: number; svg: string | null; dot?: string | null; routes: { title: string; nodes: number }[] }>(
    'routelang/graph',
    { uri },
  );
  const picture = graph.ok ? ((graph.dot ? await layout(graph.dot) : undefined) ?? graph.svg) : null;
  const body = picture ?? `<p class="error">The policy has ${graph.errors} error(s); fix them to see its decision graph.</p>`;
  const summary = graph.routes.map((r) => `${escapeHtml(r.title)}: ${r.nodes} nodes`).join(' · ');
  panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">
<style>body{background:#fff;color:#222;font-family:sans-serif;margin:12px}.summary{color:#555;font-size:12px;margin-bottom:8px}.error{color:#a00}svg{max-width:none}</style>
</head><body><div class="summary" id="routelang-graph-summary">${summary}</div><div id="routelang-graph">${body}</div></body></html>`;
}

/** Graphviz (WebAssembly), loaded and compiled on the first graph shown (not at activation). */
let graphviz: Promise<Viz> | undefined;

/**
 * Lays the graph out with Graphviz: edge labels placed, nothing overlapping (the server's own
 * drawing, the fallback, lays out by rank only). A monospaced font, whose metrics Graphviz
 * estimates exactly, keeps labels inside their boxes in the webview.
 */
async function layout(dot: string): Promise<string | undefined> {
  try {
    graphviz ??= import('@viz-js/viz').then((m) => m.instance());
    const svg = (await graphviz).renderString(dot.replaceAll('fontname="Helvetica"', 'fontname="Courier"'), { format: 'svg' });
    const start = svg.indexOf('<svg');
    return start >= 0 ? svg.slice(start) : undefined;
  } catch {
    return undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
