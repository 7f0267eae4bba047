// Language-server latency: the real server over stdio, driven as an editor drives it. For
// generated policies of 2,000 and 10,000 lines it measures, after a one-character edit made
// after a pause: didChange → publishDiagnostics (the front end's findings), didChange →
// completion results, and didChange → the analyses' findings (`routelang/analysed`, computed
// in the server's worker thread). Prints a Markdown table of medians. `pnpm bench`.
// ROUTELANG_BENCH_EDIT=insert types and deletes instead of retyping; ROUTELANG_BENCH_LINES=2000
// measures one size.

import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { generateLargePolicy } from './policy-generator.js';

const SERVER = fileURLToPath(new URL('../packages/lsp/bin/routelang-lsp.js', import.meta.url));
const SIZES = [2_000, 10_000];
const EDITS = 15;
/**
 * `ROUTELANG_BENCH_EDIT=insert`: type a digit, then delete it, in turn — edits that move the
 * text after them (every later rule's offsets), where the default retypes a digit in place.
 */
const INSERT = process.env.ROUTELANG_BENCH_EDIT === 'insert';
const ONLY = process.env.ROUTELANG_BENCH_LINES ? [Number(process.env.ROUTELANG_BENCH_LINES)] : undefined;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or NaN after `ms`; the timer is cleared either way, so the process can exit when done. */
async function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(Number.NaN), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function measure(lines) {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const published = [];
  const analysed = [];
  let onPublish = () => {};
  let onAnalysed = () => {};
  connection.onNotification('textDocument/publishDiagnostics', (p) => {
    published.push(p);
    onPublish(p);
  });
  connection.onNotification('routelang/analysed', (p) => {
    analysed.push(p);
    onAnalysed(p);
  });
  connection.onRequest(() => null);
  connection.listen();
  const path = `/virtual/bench-${lines}.route`;
  const uri = pathToFileURL(path).href;
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await connection.sendNotification('initialized', {});
  const text = generateLargePolicy(lines);
  const textLines = text.split('\n');
  // The edit: retype the digit of a `prompt.tokens < Nk` constant in the middle of the route.
  const line = textLines.findIndex((l, i) => i > textLines.length / 2 && / < \d+k/.test(l));
  const character = (textLines[line] ?? '').search(/ < \d+k/) + 3;
  const analysedVersion = (version) =>
    new Promise((resolve) => {
      if (analysed.some((p) => p.version === version)) return resolve();
      onAnalysed = (p) => p.version === version && resolve();
    });
  const publishedVersion = (version) =>
    new Promise((resolve) => {
      onPublish = (p) => p.version === version && resolve();
    });

  let version = 1;
  const opened = publishedVersion(1);
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'routelang', version, text } });
  await opened;
  const rows = { diagnostics: [], completion: [], analyses: [] };
  for (let i = 0; i < EDITS + 2; i++) {
    version++;
    const digit = String((i % 9) + 1);
    const start = performance.now();
    const diagnostics = publishedVersion(version).then(() => performance.now() - start);
    const analyses = analysedVersion(version).then(() => performance.now() - start);
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [
        INSERT
          ? i % 2 === 0
            ? { range: { start: { line, character }, end: { line, character } }, text: digit }
            : { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }
          : { range: { start: { line, character }, end: { line, character: character + 1 } }, text: digit },
      ],
    });
    const completion = connection
      .sendRequest('textDocument/completion', { textDocument: { uri }, position: { line, character: character - 3 } })
      .then(() => performance.now() - start);
    const [d, c] = await Promise.all([diagnostics, completion]);
    // The analyses of a large policy may take seconds; wait for them only on a few edits.
    const a = i < 3 ? await within(analyses, 120_000) : Number.NaN;
    if (i >= 2) {
      rows.diagnostics.push(d);
      rows.completion.push(c);
    }
    if (i < 3) rows.analyses.push(a);
    // A pause, so the next edit is checked at once (edits in a burst are debounced).
    await sleep(Math.max(100, 3 * d + 50));
  }
  const analysedDiagnostics = published.filter((p) => p.diagnostics.some((d) => String(d.code).startsWith('RL3'))).at(-1);
  await connection.sendRequest('shutdown');
  await connection.sendNotification('exit');
  connection.dispose();
  child.kill();
  return {
    lines: textLines.length - 1,
    diagnostics: median(rows.diagnostics),
    completion: median(rows.completion),
    analyses: median(rows.analyses.filter((x) => !Number.isNaN(x))),
    analysesFinding: analysedDiagnostics?.diagnostics.find((d) => String(d.code).startsWith('RL3'))?.code ?? 'none',
  };
}

export async function runLspBench() {
  const out = [];
  for (const lines of ONLY ?? SIZES) out.push(await measure(lines));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await runLspBench();
  console.log('\n### Language server: latency after a one-character edit (median of 15 edits)\n');
  console.log('| policy | didChange → diagnostics | didChange → completion | didChange → analyses (worker) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.lines.toLocaleString('en-US')} lines | ${r.diagnostics.toFixed(1)} ms | ${r.completion.toFixed(1)} ms | ${(r.analyses / 1000).toFixed(2)} s (${r.analysesFinding}) |`,
    );
  }
}
