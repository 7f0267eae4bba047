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
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
};
