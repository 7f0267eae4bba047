// The playground: Monaco with the Routelang language server in a Web Worker (diagnostics with
// counterexamples, completion, hover, quick fixes, formatting, inlay cost hints — through the
// LSP client that ships with Monaco), and beside it what the compiler and the runtime say about
// the policy: the worst-case cost of each rule and the decision graph from the compiler (in a
// second worker, so a pathological policy never freezes the page; an edit cancels a stale
// compilation by terminating it), and the request panel — JSON in, `Router.decide()` and its
// explanation out — run by the runtime here in the page on the IR the worker returns.
//
// Everything is served from this folder; nothing is fetched from anywhere else.

import { type Decision, type PolicyIR, type Refusal, Router } from '@routelang/runtime';
import * as monaco from 'monaco-core';
import { createTransportToWorker, MonacoLspClient } from 'monaco-lsp-client';
import type { CompileJob, CompileOutcome, RuleCost } from './compile-worker.js';

/** A policy to open: its files (absolute paths) and the one the editor shows. */
interface Sample {
  readonly name: string;
  readonly main: string;
  readonly files: Readonly<Record<string, string>>;
  /** For docs snippets that show an error: the codes the docs say it fails with. */
  readonly expects?: string;
}

/** The language's keywords (the lexer's `Kw`), defined by the build. */
declare const __ROUTELANG_KEYWORDS__: readonly string[];

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
    /** For scripts and tests: the editor and what the page last computed. */
    playground?: {
      readonly monaco: typeof monaco;
      readonly editor: monaco.editor.IStandaloneCodeEditor;
      decision?: Decision | Refusal;
      compiled?: CompileOutcome;
      /** Compilations cancelled because an edit made them stale. */
      cancelled: number;
    };
  }
}

window.MonacoEnvironment = { getWorker: () => new Worker(new URL('editor.worker.js', document.baseURI)) };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const uriOf = (path: string): monaco.Uri => monaco.Uri.parse(`file://${path}`);

monaco.languages.register({ id: 'routelang', extensions: ['.route'], aliases: ['Routelang'] });
monaco.languages.setLanguageConfiguration('routelang', {
  comments: { lineComment: '//' },
  brackets: [
    ['{', '}'],
    ['[', ']'],
    ['(', ')'],
  ],
  autoClosingPairs: [
    { open: '{', close: '}' },
    { open: '[', close: ']' },
    { open: '(', close: ')' },
    { open: '"', close: '"' },
  ],
});
// A first colouring while the server starts; its semantic tokens refine it.
monaco.languages.setMonarchTokensProvider('routelang', {
  // The lexer's own keyword list, put in at build time (scripts/build.js): no copy to drift.
  keywords: [...__ROUTELANG_KEYWORDS__],
  tokenizer: {
    root: [
      [/\/\/.*$/, 'comment'],
      [/"([^"\\]|\\.)*"/, 'string'],
      [/\$[0-9][0-9_.]*/, 'number'],
      [/[0-9][0-9_.]*(k|M|ms|s|m|h|%)?\b/, 'number'],
      [/[A-Za-z_][A-Za-z0-9_]*/, { cases: { '@keywords': 'keyword', '@default': 'identifier' } }],
    ],
  },
});

const editor = monaco.editor.create($('editor'), {
  language: 'routelang',
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 13,
  inlayHints: { enabled: 'on' },
  'semanticHighlighting.enabled': true,
  fixedOverflowWidgets: true,
});
window.playground = { monaco, editor, cancelled: 0 };

// The language server: the same one the VS Code extension runs, built for a Web Worker.
new MonacoLspClient(createTransportToWorker(new Worker(new URL('lsp.worker.js', document.baseURI))));

let samples: Sample[] = [];
let files = new Map<string, monaco.editor.ITextModel>();
let main = '';

/** Opens a sample: one model per file (the server sees them all, so imports resolve), the main one in the editor. */
function open(sample: Sample): void {
  for (const model of files.values()) model.dispose();
  files = new Map(Object.entries(sample.files).map(([path, text]) => [path, monaco.editor.createModel(text, 'routelang', uriOf(path))]));
  main = sample.main;
  editor.setModel(files.get(main) ?? null);
  $('expects').textContent = sample.expects ? `This snippet shows ${sample.expects}.` : '';
  for (const model of files.values()) model.onDidChangeContent(schedule);
  drawProblems();
  $<HTMLTextAreaElement>('request').value = '';
  refresh();
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(refresh, 150);
}

let router: { ir: PolicyIR; router: Router } | undefined;

/** The compiler's worker; replaced (the old one terminated) when an edit makes its job stale. */
let compiler: Worker | undefined;
let busy = false;
let jobs = 0;
/** How long a compilation may take before the page gives up on it (the compiler's own limit, RL3008, usually ends it first). */
const COMPILE_LIMIT_MS = 30_000;
let limit: ReturnType<typeof setTimeout> | undefined;

function startCompiler(): Worker {
  // A module worker: it shares chunks with the page (loaded when needed, not bundled twice).
  const worker = new Worker(new URL('compile.worker.js', document.baseURI), { type: 'module' });
  worker.onmessage = (event: MessageEvent<CompileOutcome>) => {
    if (event.data.id !== jobs) return;
    busy = false;
    clearTimeout(limit);
    void show(event.data);
  };
  return worker;
}

// Started now, so its Graphviz is compiled while the page loads.
compiler = startCompiler();

/** Compiles the open files in the worker, cancelling a compilation still running. */
function refresh(): void {
  if (busy) {
    compiler?.terminate();
    compiler = undefined;
    if (window.playground) window.playground.cancelled++;
  }
  compiler ??= startCompiler();
  busy = true;
  const job: CompileJob = { id: ++jobs, main, files: Object.fromEntries([...files].map(([path, model]) => [path, model.getValue()])) };
  setStatus('', 'checking…');
  clearTimeout(limit);
  limit = setTimeout(() => {
    compiler?.terminate();
    compiler = undefined;
    busy = false;
    setStatus('bad', `gave up checking after ${COMPILE_LIMIT_MS / 1000} s`);
  }, COMPILE_LIMIT_MS);
  compiler.postMessage(job);
}

function setStatus(className: string, text: string): void {
  $('status').textContent = text;
  $('status').className = className;
}

/** Redraws the panels from the worker's outcome; decides the request with the runtime, here. */
async function show(result: CompileOutcome): Promise<void> {
  if (window.playground) window.playground.compiled = result;
  if (result.crashed) {
    setStatus('bad', `the compiler failed: ${result.crashed}`);
    return;
  }
  setStatus(
    result.errors > 0 ? 'bad' : 'good',
    result.errors > 0 ? `${result.errors} error${result.errors === 1 ? '' : 's'}` : result.ir ? 'compiles' : `${result.warnings} warnings`,
  );
  drawCosts(result.costs);
  drawGraph(result.graph);
  if (!result.ir) {
    router = undefined;
    $('decision').textContent = 'Fix the errors to decide requests.';
    return;
  }
  if (router?.ir !== result.ir) {
    try {
      router = { ir: result.ir, router: await Router.load(result.ir) };
    } catch (error) {
      router = undefined;
      $('decision').textContent = `the runtime refused the policy: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
  }
  const box = $<HTMLTextAreaElement>('request');
  if (box.value.trim() === '') box.value = JSON.stringify(sampleRequest(result.ir), null, 2);
  decide();
}

/** A request with every field that has no default, with a plausible value. */
function sampleRequest(ir: PolicyIR): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of ir.inputs) {
    if (field.default !== undefined || field.classifier !== undefined) continue;
    const t = field.type;
    out[field.name] =
      t.kind === 'enum'
        ? t.members[0]
        : t.kind === 'list'
          ? []
          : t.kind === 'text'
            ? 'Write a function that parses ISO dates'
            : t.kind === 'string'
              ? 'acme'
              : t.kind === 'bool'
                ? false
                : 1;
  }
  return out;
}

/** Decides the request in the panel with the runtime, here in the page. */
function decide(): void {
  const out = $('decision');
  if (!router) return;
  let input: unknown;
  try {
    input = JSON.parse($<HTMLTextAreaElement>('request').value);
  } catch (error) {
    out.replaceChildren(line('bad', `The request is not JSON: ${error instanceof Error ? error.message : String(error)}`));
    return;
  }
  const decision = router.router.decide(input);
  if (window.playground) window.playground.decision = decision;
  if (!decision.ok) {
    out.replaceChildren(line('bad', 'Refused:'), list(decision.errors.map((e) => `${e.field || '(request)'}: ${e.message} [${e.code}]`)));
    return;
  }
  const rule = decision.rule;
  const where = `${rule.route === null ? 'route' : `route ${rule.route}`}, line ${rule.line}${rule.label ? ` (${rule.label})` : ''}`;
  const deciding = line('good', `Decided by ${where}`);
  deciding.dataset.rule = String(rule.line);
  const models = line(
    '',
    decision.models.length > 0 ? `May call: ${decision.models.join(', ')}${decision.first ? `; first ${decision.first}` : ''}` : 'Calls no model.',
  );
  const steps = document.createElement('table');
  steps.className = 'steps';
  for (const step of decision.explain()) {
    const tr = document.createElement('tr');
    tr.className = step.matched ? 'matched' : '';
    for (const text of [`line ${step.rule.line}`, step.condition, step.matched ? 'matched' : 'no']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.addEventListener('click', () => reveal(step.rule.line));
    steps.append(tr);
  }
  out.replaceChildren(deciding, models, steps);
}

/** The server's diagnostics on the open files, as a list (click one to go to it). */
function drawProblems(): void {
  const items: HTMLLIElement[] = [];
  for (const [path, model] of files) {
    for (const m of monaco.editor.getModelMarkers({ resource: model.uri })) {
      const li = document.createElement('li');
      li.className = m.severity === monaco.MarkerSeverity.Error ? 'bad' : 'warn';
      const code = typeof m.code === 'string' ? m.code : (m.code?.value ?? '');
      li.textContent = `${path === main ? '' : `${path.split('/').pop()} `}${m.startLineNumber}:${m.startColumn} ${code} ${m.message}`;
      li.dataset.code = code;
      li.addEventListener('click', () => {
        editor.setModel(model);
        reveal(m.startLineNumber);
      });
      items.push(li);
    }
  }
  $('problems').replaceChildren(...items);
  $('problems-count').textContent = String(items.length);
}
monaco.editor.onDidChangeMarkers(drawProblems);

/** The worst-case cost of each rule of the shown file (what the inlay hints say). */
function drawCosts(costs: readonly RuleCost[] | null): void {
  const table = $<HTMLTableElement>('costs');
  if (!costs) {
    table.replaceChildren(row(['Fix the errors to see costs.']));
    return;
  }
  table.replaceChildren(
    ...costs.map((c) => {
      const tr = row([`${c.route} line ${c.line}`, c.cost, c.models.join(', ')]);
      tr.dataset.line = String(c.line);
      tr.title = c.breakdown.join('\n');
      tr.addEventListener('click', () => reveal(c.line));
      return tr;
    }),
  );
}

/** The decision graph, shown as an image (an SVG as an image runs no script). */
function drawGraph(graph: CompileOutcome['graph']): void {
  const box = $('graph');
  if (!graph) {
    box.textContent = 'Fix the errors to see the decision graph.';
    return;
  }
  const img = document.createElement('img');
  img.alt = 'the decision graph';
  img.title = 'click for the natural size';
  img.addEventListener('click', () => img.classList.toggle('natural'));
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(graph.svg)}`;
  box.replaceChildren(img);
}

function reveal(lineNumber: number): void {
  editor.revealLineInCenter(lineNumber);
  editor.setPosition({ lineNumber, column: 1 });
  editor.focus();
}

function line(className: string, text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}

function list(items: readonly string[]): HTMLUListElement {
  const ul = document.createElement('ul');
  for (const item of items) {
    const li = document.createElement('li');
    li.textContent = item;
    ul.append(li);
  }
  return ul;
}

function row(cells: readonly string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

/** `#sample=NAME` opens a bundled sample; `#code=BASE64URL` a policy given in the link. */
function fromHash(): Sample | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const name = params.get('sample');
  if (name) return samples.find((s) => s.name === name);
  const code = params.get('code');
  if (code) {
    try {
      const text = new TextDecoder().decode(Uint8Array.from(atob(code.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
      return { name: 'shared', main: '/shared/policy.route', files: { '/shared/policy.route': text } };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function start(): Promise<void> {
  samples = (await (await fetch('samples.json')).json()) as Sample[];
  const select = $<HTMLSelectElement>('sample');
  for (const sample of samples) {
    const option = document.createElement('option');
    option.value = sample.name;
    option.textContent = sample.name;
    select.append(option);
  }
  select.addEventListener('change', () => {
    const sample = samples.find((s) => s.name === select.value);
    if (!sample) return;
    history.replaceState(null, '', `#sample=${encodeURIComponent(sample.name)}`);
    open(sample);
  });
  $('format').addEventListener('click', () => void editor.getAction('editor.action.formatDocument')?.run());
  $('share').addEventListener('click', () => {
    const bytes = new TextEncoder().encode(editor.getValue());
    const code = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    history.replaceState(null, '', `#code=${code}`);
    void navigator.clipboard?.writeText(location.href).catch(() => undefined);
  });
  $('request').addEventListener('input', decide);
  const first = fromHash() ?? samples.find((s) => s.name === 'examples/cost-cascade') ?? samples[0];
  if (first) {
    if (samples.includes(first)) select.value = first.name;
    open(first);
  }
}

void start();
