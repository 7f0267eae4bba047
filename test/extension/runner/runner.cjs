// Test-only extension: runs inside the extension host of a real VS Code (code-server), uses
// only VS Code's public API to ask what the Routelang extension provides, and writes the
// answers as JSON to $E2E_RESULT. The test asserts on that file; a browser takes screenshots.
const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
const text = (c) => (typeof c === 'string' ? c : c.value);
/** The position of `needle` (plus `delta` characters) in a document. */
function at(document, needle, delta = 0) {
  const offset = document.getText().indexOf(needle);
  if (offset < 0) throw new Error(`not found: ${needle}`);
  return document.positionAt(offset + delta);
}

exports.activate = async function activate() {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const out = process.env.E2E_RESULT;
  if (!folder || !out) return;
  const result = { steps: {} };
  const step = async (name, fn) => {
    try {
      result.steps[name] = await fn();
    } catch (error) {
      result.steps[name] = { error: String(error?.stack ?? error) };
    }
  };
  await step('activation', async () => {
    const broken = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'broken.route'));
    await vscode.window.showTextDocument(broken);
    const extension = vscode.extensions.getExtension('routelang.routelang-vscode');
    await waitFor('the Routelang extension', () => extension?.isActive);
    return { languageId: broken.languageId, active: extension?.isActive === true };
  });
  await step('diagnostics', async () => {
    const uri = vscode.Uri.joinPath(folder.uri, 'broken.route');
    const list = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length > 0 ? d : undefined;
    });
    return list.map((d) => ({ code: String(typeof d.code === 'object' ? d.code.value : d.code), line: d.range.start.line + 1, message: d.message, source: d.source }));
  });
  const policy = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'policy.route'));
  await vscode.window.showTextDocument(policy);
  await step('hover', async () => {
    const hovers = await waitFor('a hover', async () => {
      const h = await vscode.commands.executeCommand('vscode.executeHoverProvider', policy.uri, at(policy, '-> large', 4));
      return h?.length ? h : undefined;
    });
    return hovers.flatMap((h) => h.contents.map(text));
  });
  await step('completion', async () => {
    const list = await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', policy.uri, at(policy, 'risk == high', 8));
    return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
  });
  await step('graph', async () => {
    await vscode.commands.executeCommand('routelang.showGraph');
    return { opened: true };
  });
  // Cost hints after each rule (inlay hints), as the editor draws them.
  await step('inlayHints', async () => {
    const hints = await waitFor('inlay hints', async () => {
      const h = await vscode.commands.executeCommand('vscode.executeInlayHintProvider', policy.uri, new vscode.Range(0, 0, policy.lineCount, 0));
      return h?.length ? h : undefined;
    });
    return hints.map((h) => ({ line: h.position.line + 1, label: typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('') }));
  });
  // The test lens, then the command it runs (the server runs the policy's tests).
  await step('testLens', async () => {
    const lenses = await waitFor('a test lens with its result', async () => {
      const l = await vscode.commands.executeCommand('vscode.executeCodeLensProvider', policy.uri);
      return l?.some((x) => x.command?.title.includes('test passes')) ? l : undefined;
    });
    const lens = lenses.find((x) => x.command?.title.includes('test passes'));
    const ran = await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    return { line: lens.range.start.line + 1, title: lens.command.title, ran };
  });
  // Go to definition from a model name into the catalogue the policy imports.
  await step('definition', async () => {
    const locations = await vscode.commands.executeCommand('vscode.executeDefinitionProvider', policy.uri, at(policy, '-> large', 4));
    return locations.map((l) => {
      const uri = l.targetUri ?? l.uri;
      const range = l.targetSelectionRange ?? l.targetRange ?? l.range;
      return { file: path.basename(uri.fsPath), line: range.start.line + 1 };
    });
  });
  // Rename a model across the policy and the catalogue (the edit is inspected, not applied).
  await step('rename', async () => {
    const edit = await vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', policy.uri, at(policy, '-> mini', 4), 'small');
    return edit
      .entries()
      .map(([uri, edits]) => ({ file: path.basename(uri.fsPath), edits: edits.length, texts: [...new Set(edits.map((e) => e.newText))] }))
      .sort((a, b) => a.file.localeCompare(b.file));
  });
  // The did-you-mean quick fix on the broken policy: applied, the diagnostic clears; then the
  // text is put back (the screenshots below show the diagnostic).
  await step('quickFix', async () => {
    const broken = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'broken.route'));
    const diagnostic = vscode.languages.getDiagnostics(broken.uri).find((d) => String(typeof d.code === 'object' ? d.code.value : d.code) === 'RL2002');
    if (!diagnostic) throw new Error('no RL2002 on broken.route');
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', broken.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.edit);
    if (!fix) throw new Error(`no quick fix with an edit among ${actions.map((a) => a.title).join(', ')}`);
    const applied = await vscode.workspace.applyEdit(fix.edit);
    const fixedLine = broken.lineAt(diagnostic.range.start.line).text.trim();
    const cleared = await waitFor('the diagnostic to clear', () => (vscode.languages.getDiagnostics(broken.uri).length === 0 ? true : undefined), 30000);
    const undo = new vscode.WorkspaceEdit();
    undo.replace(broken.uri, broken.lineAt(diagnostic.range.start.line).range, broken.lineAt(diagnostic.range.start.line).text.replace('large', 'larg'));
    await vscode.workspace.applyEdit(undo);
    await broken.save();
    await waitFor('the diagnostic to come back', () => (vscode.languages.getDiagnostics(broken.uri).length > 0 ? true : undefined), 30000);
    return { title: fix.title, isPreferred: fix.isPreferred === true, applied, fixedLine, cleared };
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
};
