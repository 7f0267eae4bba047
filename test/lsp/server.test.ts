// Protocol tests: the real language server over stdio, driven by a JSON-RPC client the way
// an editor drives it. Each feature is asserted on the fixture workspace in test/lsp/workspace
// (a catalogue imported by two policies, and a policy with problems), copied to a temporary
// folder so the tests can edit and delete files.

import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  Position,
  SemanticTokens,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { LspClient, uri } from '../support/lsp-client.js';

let root: string;
let client: LspClient;
const file = (name: string): string => join(root, name);
const doc = (name: string) => ({ textDocument: { uri: uri(file(name)) } });

/** The position of the `nth` occurrence of `needle` in `text`, moved `delta` characters. */
function at(text: string, needle: string, delta = 0, nth = 0): Position {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`not in the text: ${needle}`);
  const before = text.slice(0, index + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
const textOf = (name: string): string => readFileSync(file(name), 'utf8');
const labels = (items: CompletionItem[] | { items: CompletionItem[] }): string[] => (Array.isArray(items) ? items : items.items).map((i) => i.label);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'routelang-lsp-'));
  cpSync(new URL('./workspace', import.meta.url), root, { recursive: true });
  client = await LspClient.start(root);
});

afterAll(async () => {
  expect(client.alive).toBe(true);
  await client.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('diagnostics', () => {
  test('a clean policy publishes its analyses (with the counterexample in the message)', async () => {
    // The front end finds nothing; the analyses follow in a second publication.
    expect(await client.open(file('policy.route'))).toEqual([]);
    const diagnostics = await client.waitAnalysed(uri(file('policy.route')), 1);
    expect(diagnostics.map((d) => d.code)).toEqual(['RL3005']);
    const [d] = diagnostics as [Diagnostic];
    expect(d.range.start).toEqual(at(textOf('policy.route'), 'cascade [mini'));
    expect(d.message).toMatch(/counterexample: \{"pii":false,"risk":"low","tier":"pro"/);
    expect(d.message).toMatch(/help: add a rule above this one for the larger prompts \(`when prompt.tokens > 128k -> large`\)/);
    expect(d.source).toBe('routelang');
  });

  test('errors are republished as the user types, and cleared when fixed', async () => {
    const text = textOf('problems.route');
    const diagnostics = await client.open(file('problems.route'), text);
    expect(diagnostics.map((d) => [d.code, d.range.start])).toEqual([['RL2002', at(text, 'larg\n')]]);
    expect(diagnostics[0]?.message).toContain('did you mean `large`?');

    // Fix the typo: now the analyses run and find a shadowed rule, a gap and a broken assertion.
    const fixed = text.replace('larg\n', 'large\n');
    const after = await client.change(file('problems.route'), fixed, { analysed: true });
    expect(new Set(after.map((d) => d.code))).toEqual(new Set(['RL3002', 'RL3003', 'RL3004']));
    const shadowed = after.find((d) => d.code === 'RL3002');
    expect(shadowed?.range.start).toEqual(at(fixed, 'when risk == high -> mini'));
    // Related information points at the rule that takes its requests.
    expect(shadowed?.relatedInformation?.[0]?.location.range.start).toEqual(at(fixed, 'when risk == high -> large'));
    expect(shadowed?.tags).toEqual([1]);
    const gap = after.find((d) => d.code === 'RL3003');
    expect(gap?.message).toMatch(/counterexample: \{"risk":"low"/);
    await client.change(file('problems.route'), text);
  });

  test('an incremental edit is applied at the right place', async () => {
    const text = textOf('other.route');
    await client.open(file('other.route'), text);
    const start = at(text, 'mini');
    const diagnostics = await client.edit(file('other.route'), { start, end: { line: start.line, character: start.character + 4 } }, 'minii');
    expect(diagnostics.map((d) => d.code)).toEqual(['RL2002']);
    expect(diagnostics[0]?.range.start).toEqual(start);
    expect(await client.edit(file('other.route'), { start, end: { line: start.line, character: start.character + 5 } }, 'mini')).toEqual([]);
  });
});

describe('completion', () => {
  const complete = async (name: string, text: string, position: Position): Promise<string[]> => {
    await client.change(file(name), text);
    return labels(await client.request('textDocument/completion', { ...doc(name), position }));
  };

  test('after `risk == ` it offers the members of the enum', async () => {
    const text = textOf('policy.route').replace('when risk == high', 'when risk == ');
    expect(await complete('policy.route', text, at(text, 'when risk == ', 13))).toEqual(['low', 'medium', 'high']);
    // …and of an inline enum, while a member is half typed.
    const partial = textOf('policy.route').replace('when tier == pro', 'when tier == p');
    expect(await complete('policy.route', partial, at(partial, 'when tier == p', 14))).toEqual(['free', 'pro']);
  });

  test('in a plan it offers models, routes and plan forms; after `try` the tools; after `until` the validators', async () => {
    const text = textOf('policy.route').replace('otherwise -> mini', 'otherwise -> ');
    const items = await complete('policy.route', text, at(text, 'otherwise -> ', 13));
    expect(items).toEqual(expect.arrayContaining(['mini', 'large', 'local', 'cascade', 'split', 'cheapest', 'deny']));
    const inList = textOf('policy.route').replace('cascade [mini, large]', 'cascade [mini, ');
    expect(await complete('policy.route', inList, at(inList, 'cascade [mini, ', 15))).toEqual(expect.arrayContaining(['mini', 'large', 'local']));
    const validator = textOf('policy.route').replace('until quality', 'until ');
    expect(await complete('policy.route', validator, at(validator, 'until ', 6))).toEqual(['quality']);
  });

  test('in conditions it offers fields, and the parts of a text field after `.`', async () => {
    const text = textOf('policy.route').replace('when pii ->', 'when  ->');
    expect(await complete('policy.route', text, at(text, 'when  ->', 5))).toEqual(['prompt', 'pii', 'risk', 'tier', 'not']);
    const dotted = textOf('policy.route').replace('when pii ->', 'when prompt. ->');
    expect(await complete('policy.route', dotted, at(dotted, 'prompt. ->', 7))).toEqual(['tokens', 'chars']);
    const model = textOf('policy.route').replace('model.deployment', 'model.');
    expect(await complete('policy.route', model, at(model, 'model. ==', 6))).toEqual(expect.arrayContaining(['deployment', 'regions', 'tags', 'price']));
  });

  test('declarations at top level, properties in a model block, units after a number', async () => {
    const text = `${textOf('policy.route')}\nro`;
    const top = await complete('policy.route', text, at(text, '\nro', 3));
    expect(top).toEqual(['policy', 'import', 'enum', 'input', 'model', 'tool', 'validator', 'classifier', 'route', 'assert', 'budget', 'test']);
    // Inside a condition continued on a new line within brackets, no declaration is offered.
    const inside = `${textOf('policy.route')}\nassert "split": (pii\n  or`;
    expect(await complete('policy.route', inside, at(inside, '\n  or', 5))).not.toContain('route');
    const list = `${textOf('policy.route')}\nassert "in list": model in [local,\n  lar`;
    expect(await complete('policy.route', list, at(list, '\n  lar', 6))).not.toContain('route');
    const model = `${textOf('policy.route')}\nmodel extra {\n  provider = "x"\n  \n}\n`;
    const props = await complete('policy.route', model, at(model, '"x"\n  ', 6));
    expect(props).toEqual(['id', 'price', 'context', 'max_output', 'deployment', 'regions', 'tags', 'latency']);
    const units = textOf('policy.route').replace('per_request <= $1', 'per_request <= $1\n}\nroute r {\n  when prompt.tokens > 8');
    const u = await complete('policy.route', units, at(units, '> 8', 3));
    expect(u).toEqual(['8k', '8M', '8ms', '8s', '8m', '8h', '8%']);
  });

  test('in a test block: field names in `given`, their values, and targets after `expect`', async () => {
    const text = textOf('policy.route').replace('pii: true }', 'pii: true, risk: }');
    expect(await complete('policy.route', text, at(text, 'risk: }', 6))).toEqual(['low', 'medium', 'high']);
    const keys = textOf('policy.route').replace('{ prompt: "approve this", risk: high }', '{ prompt: "approve this",  }');
    expect(await complete('policy.route', keys, at(keys, '"approve this",  }', 16))).toEqual(['prompt', 'pii', 'risk', 'tier']);
    const expectText = textOf('policy.route').replace('expect local', 'expect ');
    expect(await complete('policy.route', expectText, at(expectText, 'expect \n', 7))).toEqual(
      expect.arrayContaining(['mini', 'large', 'local', 'deny', 'because']),
    );
    await client.change(file('policy.route'), textOf('policy.route'));
  });

  test('nothing inside a string or a comment', async () => {
    const text = textOf('policy.route').replace('because "personal', 'because "pers');
    expect(await complete('policy.route', text, at(text, '"pers', 5))).toEqual([]);
    await client.change(file('policy.route'), textOf('policy.route'));
  });
});

describe('hover', () => {
  beforeAll(async () => {
    await client.change(file('policy.route'), textOf('policy.route'), { analysed: true });
  });
  const hover = (name: string, position: Position): Promise<Hover | null> => client.request('textDocument/hover', { ...doc(name), position });
  const value = (h: Hover | null): string => (h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');

  test('a model name shows its card, from the catalogue it is declared in', async () => {
    const h = await hover('policy.route', at(textOf('policy.route'), '-> large', 4));
    expect(value(h)).toContain('**model** `large`');
    expect(value(h)).toContain('| price | $3.00 / 1M input, $15.00 / 1M output |');
    expect(value(h)).toContain('| context | 200,000 tokens (answers up to 8,000) |');
    expect(value(h)).toContain('| deployment | cloud |');
    expect(value(h)).toContain('declared in catalog.route:17');
    expect(h?.range?.start).toEqual(at(textOf('policy.route'), '-> large', 3));
  });

  test('a field shows its type and default; an enum member its enum', async () => {
    expect(value(await hover('policy.route', at(textOf('policy.route'), 'when risk', 6)))).toContain('**field** `risk`: enum `Risk`');
    expect(value(await hover('policy.route', at(textOf('policy.route'), 'when risk', 6)))).toContain('default: `low`');
    expect(value(await hover('policy.route', at(textOf('policy.route'), '== high', 4)))).toBe('**member** `high` of enum `Risk`');
  });

  test('a rule shows its worst-case cost and the models it can reach', async () => {
    const h = value(await hover('policy.route', at(textOf('policy.route'), 'when tier', 1)));
    expect(h).toContain('worst case **$0.749** per request');
    expect(h).toContain('- large $0.720 (200,000 tokens in, 8,000 out)');
    expect(h).toContain('can call: `mini`, `large`');
  });
});

describe('navigation and rename', () => {
  test('go to definition crosses into the imported catalogue', async () => {
    const defs = await client.request<Location[]>('textDocument/definition', { ...doc('policy.route'), position: at(textOf('policy.route'), '-> mini', 4) });
    expect(defs).toEqual([
      { uri: uri(file('catalog.route')), range: { start: at(textOf('catalog.route'), 'mini'), end: at(textOf('catalog.route'), 'mini', 4) } },
    ]);
  });

  test('find references searches every policy of the workspace that imports the catalogue', async () => {
    const refs = await client.request<Location[]>('textDocument/references', {
      ...doc('catalog.route'),
      position: at(textOf('catalog.route'), 'model mini', 7),
      context: { includeDeclaration: true },
    });
    const where = refs.map((r) => `${r.uri.split('/').pop()}:${r.range.start.line + 1}`).sort();
    expect(where).toEqual(
      ['catalog.route:5', 'other.route:10', 'policy.route:17', 'policy.route:18', 'policy.route:34', 'problems.route:12', 'problems.route:13'].sort(),
    );
  });

  test('references to a field include test inputs; an enum member includes defaults', async () => {
    const refs = await client.request<Location[]>('textDocument/references', {
      ...doc('policy.route'),
      position: at(textOf('policy.route'), 'when pii', 6),
      context: { includeDeclaration: false },
    });
    expect(refs.map((r) => r.range.start.line + 1)).toEqual([15, 21, 28]);
    const members = await client.request<Location[]>('textDocument/references', {
      ...doc('catalog.route'),
      position: at(textOf('catalog.route'), 'low'),
      context: { includeDeclaration: true },
    });
    expect(members.map((r) => `${r.uri.split('/').pop()}:${r.range.start.line + 1}`).sort()).toEqual(
      ['catalog.route:3', 'policy.route:8', 'problems.route:7'].sort(),
    );
  });

  test('rename edits every file that names the symbol', async () => {
    const edit = await client.request<WorkspaceEdit>('textDocument/rename', {
      ...doc('policy.route'),
      position: at(textOf('policy.route'), '-> mini', 4),
      newName: 'small',
    });
    const changes = edit.changes ?? {};
    expect(
      Object.keys(changes)
        .map((u) => u.split('/').pop())
        .sort(),
    ).toEqual(['catalog.route', 'other.route', 'policy.route', 'problems.route']);
    expect(changes[uri(file('policy.route'))]?.map((e: TextEdit) => e.range.start.line + 1)).toEqual([17, 18, 34]);
    expect(
      Object.values(changes)
        .flat()
        .every((e) => e.newText === 'small'),
    ).toBe(true);
  });

  test('rename refuses invalid names, keywords and clashes with an error response', async () => {
    const position = at(textOf('policy.route'), '-> mini', 4);
    await expect(client.request('textDocument/rename', { ...doc('policy.route'), position, newName: '9lives' })).rejects.toThrow(/not a valid name/);
    await expect(client.request('textDocument/rename', { ...doc('policy.route'), position, newName: 'route' })).rejects.toThrow(/is a keyword/);
    await expect(client.request('textDocument/rename', { ...doc('policy.route'), position, newName: 'large' })).rejects.toThrow(/already names a model/);
    await expect(client.request('textDocument/rename', { ...doc('policy.route'), position })).rejects.toThrow(/needs `newName`/);
    const prepared = await client.request('textDocument/prepareRename', { ...doc('policy.route'), position });
    expect(prepared).toEqual({
      range: { start: at(textOf('policy.route'), '-> mini', 3), end: at(textOf('policy.route'), '-> mini', 7) },
      placeholder: 'mini',
    });
    expect(await client.request('textDocument/prepareRename', { ...doc('policy.route'), position: at(textOf('policy.route'), 'policy support') })).toBeNull();
  });
});

describe('structure', () => {
  test('document symbols outline the declarations, with fields and rules inside', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', doc('policy.route'));
    expect(symbols.map((s) => s.name)).toEqual([
      'support',
      'catalog.route',
      'input',
      'quality',
      'route',
      '"PII stays on premises"',
      'budget',
      '"pii goes local"',
      '"high risk goes large"',
    ]);
    expect(symbols[2]?.children?.map((c) => `${c.name}: ${c.detail}`)).toEqual(['prompt: text', 'pii: bool', 'risk: Risk', 'tier: enum { free, pro }']);
    expect(symbols[4]?.children?.map((c) => c.name)).toEqual(['"personal data stays on premises"', 'when risk == high', 'when tier == pro', 'otherwise']);
  });

  test('folding ranges cover the blocks', async () => {
    const ranges = await client.request<FoldingRange[]>('textDocument/foldingRange', doc('policy.route'));
    const route = at(textOf('policy.route'), 'route {').line;
    expect(ranges).toContainEqual({ startLine: route, endLine: route + 5 });
  });

  test('semantic tokens colour names by what they resolve to', async () => {
    const tokens = await client.request<SemanticTokens>('textDocument/semanticTokens/full', doc('policy.route'));
    // Decode the relative encoding: [deltaLine, deltaStart, length, type, modifiers]…
    const decoded: string[] = [];
    let line = 0;
    let character = 0;
    const text = textOf('policy.route').split('\n');
    const types = ['class', 'namespace', 'function', 'method', 'interface', 'enum', 'property', 'enumMember'];
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl = 0, ds = 0, len = 0, type = 0, mods = 0] = tokens.data.slice(i, i + 5);
      line += dl;
      character = dl === 0 ? character + ds : ds;
      decoded.push(`${text[line]?.slice(character, character + len)}:${types[type]}${mods ? '+decl' : ''}`);
    }
    expect(decoded.slice(0, 6)).toEqual([
      'prompt:property+decl',
      'pii:property+decl',
      'risk:property+decl',
      'Risk:enum',
      'low:enumMember',
      'tier:property+decl',
    ]);
    expect(decoded).toContain('quality:method+decl');
    expect(decoded).toContain('local:class');
  });

  test('formatting returns the canonical text, and refuses a file that does not parse', async () => {
    const messy = 'policy other\nimport "catalog.route"\ninput{prompt:text}\nroute{otherwise->mini}\n';
    await client.change(file('other.route'), messy);
    const edits = await client.request<TextEdit[]>('textDocument/formatting', { ...doc('other.route'), options: { tabSize: 2, insertSpaces: true } });
    expect(edits[0]?.newText).toBe('policy other\n\nimport "catalog.route"\n\ninput {\n  prompt: text\n}\n\nroute {\n  otherwise -> mini\n}\n');
    await client.change(file('other.route'), 'route { otherwise -> }');
    await expect(client.request('textDocument/formatting', { ...doc('other.route'), options: { tabSize: 2, insertSpaces: true } })).rejects.toThrow(
      /syntax errors/,
    );
    await client.change(file('other.route'), textOf('other.route'));
  });
});

describe('code actions, inlay hints and code lens', () => {
  const actions = (name: string, position: Position): Promise<CodeAction[]> =>
    client.request('textDocument/codeAction', { ...doc(name), range: { start: position, end: position }, context: { diagnostics: [] } });

  test('a did-you-mean name has a quick fix', async () => {
    const text = textOf('problems.route');
    await client.change(file('problems.route'), text);
    const [fix] = await actions('problems.route', at(text, 'larg\n', 1));
    expect(fix?.title).toBe('change to `large`');
    expect(fix?.isPreferred).toBe(true);
    expect(fix?.edit?.changes?.[uri(file('problems.route'))]).toEqual([{ range: { start: at(text, 'larg\n'), end: at(text, 'larg\n', 4) }, newText: 'large' }]);
  });

  test('a member missing from an enum can be added to the enum, in the file that declares it', async () => {
    const text = textOf('problems.route').replace('larg\n', 'large\n').replace('risk == medium', 'risk == severe');
    await client.change(file('problems.route'), text);
    const titles = await actions('problems.route', at(text, 'severe', 2));
    const add = titles.find((a) => a.title === 'add `severe` to enum `Risk`');
    expect(add?.edit?.changes?.[uri(file('catalog.route'))]).toEqual([
      { range: { start: at(textOf('catalog.route'), ' }'), end: at(textOf('catalog.route'), ' }') }, newText: ', severe' },
    ]);
  });

  test('a gap gets `otherwise`; a shadowed rule can be removed', async () => {
    const text = textOf('problems.route').replace('larg\n', 'large\n');
    await client.change(file('problems.route'), text, { analysed: true });
    const gap = await actions('problems.route', at(text, 'route {'));
    expect(gap.map((a) => a.title)).toEqual(['add `otherwise -> deny "no rule matches"`', 'add `otherwise -> local` (the cheapest model)']);
    const edit = gap[0]?.edit?.changes?.[uri(file('problems.route'))]?.[0];
    expect(edit?.newText).toBe('\n  otherwise -> deny "no rule matches this request"');
    expect(edit?.range.start).toEqual(at(text, 'when risk == medium -> mini', 27));
    const shadowed = await actions('problems.route', at(text, 'when risk == high -> mini', 3));
    expect(shadowed.map((a) => a.title)).toEqual(['remove this rule, which never takes effect']);
    const line = at(text, 'when risk == high -> mini').line;
    expect(shadowed[0]?.edit?.changes?.[uri(file('problems.route'))]).toEqual([
      { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' },
    ]);
    await client.change(file('problems.route'), textOf('problems.route'));
  });

  test('inlay hints show each rule’s worst-case cost', async () => {
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      ...doc('policy.route'),
      range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } },
    });
    expect(hints.map((h) => [h.position.line + 1, h.label])).toEqual([
      [15, '≤ $0'],
      [16, '≤ $0.720'],
      [17, '≤ $0.749'],
      [18, '≤ $0.029'],
    ]);
  });

  test('a code lens on each test shows whether it passes, and runs the tests', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', doc('policy.route'));
    expect(lenses.map((l) => l.command?.title)).toEqual([
      '✓ test passes — run again',
      '✗ test fails: expected `mini` to be called first, but the rule at line 16 calls `large` first',
    ]);
    const run = await client.request<{ ok: boolean; outcomes: { name: string; passed: boolean }[] }>('workspace/executeCommand', {
      command: lenses[1]?.command?.command,
      arguments: lenses[1]?.command?.arguments,
    });
    expect(run).toEqual({
      ok: false,
      errors: 0,
      outcomes: [{ name: 'high risk goes large', passed: false, failures: [expect.stringContaining('expected `mini`')] }],
    });
  });
});

describe('requests for the editor commands, and settings', () => {
  test('routelang/compile returns the IR; routelang/graph the decision graph as SVG', async () => {
    const compiled = await client.request<{ ok: boolean; errors: number; ir: { format: string } | null }>('routelang/compile', {
      uri: uri(file('policy.route')),
    });
    expect(compiled.ok).toBe(true);
    expect(compiled.ir?.format).toBe('routelang/ir@1');
    const graph = await client.request<{ ok: boolean; svg: string; dot: string; routes: { title: string; nodes: number }[] }>('routelang/graph', {
      uri: uri(file('policy.route')),
    });
    expect(graph.ok).toBe(true);
    expect(graph.svg).toMatch(/^<svg /);
    // The same graph for a client with Graphviz (the extension lays it out with it).
    expect(graph.dot).toMatch(/^digraph routelang \{/);
    const { instance } = await import('@viz-js/viz');
    expect((await instance()).renderString(graph.dot, { format: 'svg' })).toContain('entry route');
    expect(graph.routes.map((r) => r.title)).toEqual(['entry route']);
    const broken = await client.request<{ ok: boolean; errors: number; svg: string | null }>('routelang/graph', { uri: uri(file('problems.route')) });
    expect(broken).toEqual({ ok: false, errors: 1, svg: null, dot: null, routes: [] });
  });

  test('diagnostics.level hides less severe findings', async () => {
    const u = uri(file('policy.route'));
    const hidden = client.until(u, (d) => d.length === 0);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { routelang: { diagnostics: { level: 'error' } } } });
    expect(await hidden).toEqual([]);
    const shown = client.until(u, (d) => d.some((x) => x.code === 'RL3005'));
    await client.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { routelang: { diagnostics: { level: 'info' }, tokenizer: 'cl100k_base' } },
    });
    expect((await shown).map((d) => d.code)).toEqual(['RL3005']);
  });
});

describe('bad input never stops the server', () => {
  test('a message with a bad Content-Length is skipped, and the server answers the next one', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 987_654, method: 'textDocument/documentSymbol', params: doc('policy.route') });
    for (const bad of [
      `Content-Length: abc\r\n\r\n${body}`,
      `Content-Type: x\r\n\r\n${body}`,
      `Content-Length: 3\r\n\r\n${body}`,
      `Content-Length: 5\r\n\r\n{oops`,
    ]) {
      client.process.stdin.write(bad);
      await expect(client.request('textDocument/documentSymbol', doc('policy.route')), bad.slice(0, 20)).resolves.toBeDefined();
      expect(client.alive).toBe(true);
    }
  });

  test('a half-typed file gets diagnostics, and every feature still answers', async () => {
    const half = 'policy half\nimport "catalog.route"\ninput { prompt: text, risk: Risk }\nroute {\n  when risk == \n  otherwise -> mi';
    const diagnostics = await client.open(file('half.route'), half);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.every((d) => typeof d.code === 'string' && d.range)).toBe(true);
    expect(labels(await client.request('textDocument/completion', { ...doc('half.route'), position: at(half, 'risk == ', 8) }))).toEqual([
      'low',
      'medium',
      'high',
    ]);
    expect(labels(await client.request('textDocument/completion', { ...doc('half.route'), position: at(half, '-> mi', 5) }))).toContain('mini');
    for (const method of ['textDocument/documentSymbol', 'textDocument/foldingRange', 'textDocument/semanticTokens/full', 'textDocument/codeLens']) {
      await expect(client.request(method, doc('half.route'))).resolves.toBeDefined();
    }
  });

  test('positions past the end of the file are answered, not fatal', async () => {
    const far = { line: 10_000, character: 500 };
    expect(await client.request('textDocument/hover', { ...doc('policy.route'), position: far })).toBeNull();
    expect(await client.request('textDocument/definition', { ...doc('policy.route'), position: far })).toEqual([]);
    await expect(client.request('textDocument/completion', { ...doc('policy.route'), position: far })).resolves.toBeDefined();
    await expect(client.request('textDocument/hover', { textDocument: { uri: 'untitled:Untitled-1' }, position: far })).rejects.toThrow(
      /only file:\/\/ documents/,
    );
  });

  test('an import of a missing or a binary file, and a file deleted while open, become diagnostics', async () => {
    writeFileSync(file('binary.route'), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x81]));
    const text = 'policy imports\nimport "catalog.route"\nimport "nowhere.route"\nimport "binary.route"\ninput { prompt: text }\nroute { otherwise -> mini }\n';
    const diagnostics = await client.open(file('imports.route'), text);
    expect(diagnostics.map((d) => d.code)).toEqual(['RL2020']);
    expect(diagnostics[0]?.message).toContain('nowhere.route');
    const binary = client.diagnostics.get(uri(file('binary.route')));
    expect(binary?.diagnostics.map((d) => d.code)).toEqual(['RL1008']);

    // The catalogue vanishes from disk while a policy that imports it is open.
    const policy = file('other.route');
    await client.change(policy, textOf('other.route'));
    unlinkSync(file('catalog.route'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(file('catalog.route')), type: 3 }] });
    const after = await client.until(uri(policy), (d) => d.length > 0);
    expect(after.map((d) => d.code)).toContain('RL2020');
    // And a document deleted while open keeps being served from its buffer.
    unlinkSync(policy);
    expect(await client.request('textDocument/documentSymbol', doc('other.route'))).toHaveLength(4);
    expect(client.alive).toBe(true);
  });
});

describe('a slow analysis never holds up the editor', () => {
  test('completion on a large policy answers before its analyses finish', async () => {
    const { generateLargePolicy } = await import('../../bench/policy-generator.js');
    const text: string = generateLargePolicy(500);
    const big = file('large.route');
    // The front end's diagnostics come first, then completion answers while the worker is busy.
    expect(await client.open(big, text)).toEqual([]);
    const items = labels(await client.request('textDocument/completion', { ...doc('large.route'), position: at(text, 'when risk == ', 13) }));
    expect(items).toEqual(['low', 'medium', 'high']);
    expect(client.analysed).not.toContain(uri(big));
    // Closing it cancels the work in progress.
    await client.close(big);
  });
});
