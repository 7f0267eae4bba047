// `pnpm mutation [TARGET…] [--incremental] [--rescore]`: mutation testing of the trust boundaries with
// StrykerJS and its vitest runner, one target file at a time, each with only the tests that
// exercise it (so a file takes minutes, not hours). Not part of CI: too slow on 2 cores.
// Scores go to reports/mutation/<target>.json and a summary table to standard output.
//
// StrykerJS 10's command line refuses Node 20 (its `engines` say 22), but its API and the
// vitest runner work on Node 20: the Stryker class is imported by file path, which skips
// the command line's version guard, and the runner plugin is loaded by path (pnpm's layout
// keeps it out of Stryker's own plugin search).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const core = dirname(require.resolve('@stryker-mutator/core/package.json'));
const { Stryker } = await import(pathToFileURL(join(core, 'dist', 'src', 'stryker.js')).href);
const runner = join(dirname(require.resolve('@stryker-mutator/vitest-runner/package.json')), 'dist', 'src', 'index.js');

/** Each target and the tests that exercise it (the randomised suites run with smaller counts here). */
export const TARGETS = {
  request: {
    mutate: 'packages/runtime/src/request.ts',
    tests: ['packages/runtime/src/request.test.ts', 'packages/runtime/src/router.test.ts', 'test/run.test.ts'],
  },
  breaker: { mutate: 'packages/runtime/src/breaker.ts', tests: ['packages/runtime/src/breaker.test.ts', 'test/run.test.ts', 'test/faults.test.ts'] },
  state: { mutate: 'packages/runtime/src/{state,stats}.ts', tests: ['packages/runtime/src/state.test.ts', 'test/run.test.ts'] },
  split: { mutate: 'packages/runtime/src/split.ts', tests: ['test/run.test.ts', 'packages/runtime/src/router.test.ts', 'test/conformance.test.ts'] },
  execute: {
    mutate: 'packages/runtime/src/execute.ts',
    tests: [
      'test/execute.test.ts',
      'test/execute-edges.test.ts',
      'test/streaming.test.ts',
      'test/run.test.ts',
      'test/faults.test.ts',
      'test/openai-adapter.test.ts',
    ],
  },
  analyses: {
    mutate: 'packages/dsl/src/analyze/*.ts',
    tests: ['test/analyses.test.ts', 'test/conformance.test.ts', 'test/soundness.test.ts', 'test/lsp/server.test.ts'],
  },
  compiled: {
    mutate: 'packages/dsl/src/emit-js.ts',
    tests: ['test/compiled-decide.test.ts', 'test/cli.test.ts'],
  },
  diagram: {
    mutate: 'packages/dsl/src/graph/diagram.ts',
    tests: ['test/diagram-ops.test.ts', 'test/conformance.test.ts', 'test/differential.test.ts', 'test/soundness.test.ts', 'test/diff.test.ts'],
  },
};

const args = process.argv.slice(2);
const incremental = args.includes('--incremental');
// Scores again from the saved reports (after the equivalents list was reviewed), without running.
const rescore = args.includes('--rescore');
const names = args.filter((a) => !a.startsWith('--'));
const chosen = names.length > 0 ? names : Object.keys(TARGETS);
const unknown = chosen.filter((n) => !(n in TARGETS));
if (unknown.length > 0) {
  console.error(`unknown target ${unknown.join(', ')}; targets: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

/**
 * Survivors reviewed and found equivalent (no observable difference), each with the reason:
 * `{ file, line, mutator, replacement, why }`. They are listed, not chased; the last score
 * leaves them out. An entry that matches no survivor is reported as stale (the code moved
 * or a test now kills it) so the list is re-reviewed rather than trusted blindly.
 */
const EQUIVALENT_FILE = 'scripts/mutation-equivalent.json';
const equivalents = existsSync(EQUIVALENT_FILE) ? JSON.parse(readFileSync(EQUIVALENT_FILE, 'utf8')) : [];
const survivorKey = (file, line, mutator, replacement) => `${file}:${line} ${mutator}: ${replacement}`.slice(0, 160);
const equivalentKeys = new Map(equivalents.map((e) => [survivorKey(e.file, e.line, e.mutator, e.replacement), e]));

/** The scores of one target's results, and its survivors written out (equivalents marked). */
function summarize(name, target, results, minutes) {
  const count = (status) => results.filter((r) => r.status === status).length;
  const killed = count('Killed') + count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const covered = killed + survived;
  // Message wording (string literals) is listed, not chased: the second score leaves it out.
  const wording = results.filter((r) => r.status === 'Survived' && r.mutatorName === 'StringLiteral').length;
  const survivors = results.filter((r) => r.status === 'Survived').map((r) => survivorKey(r.file, r.line, r.mutatorName, r.replacement));
  // Reviewed equivalents that are not wording (wording is already out of the second score).
  const equivalent = survivors.filter((k) => equivalentKeys.has(k) && equivalentKeys.get(k).mutator !== 'StringLiteral').length;
  const files = new Set(results.map((r) => r.file));
  for (const e of equivalents.filter((x) => files.has(x.file))) {
    const key = survivorKey(e.file, e.line, e.mutator, e.replacement);
    if (!survivors.includes(key)) console.error(`stale equivalent-mutant entry (no such survivor now): ${key}`);
  }
  const marked = survivors.map((k) => (equivalentKeys.has(k) ? `${k}    [equivalent: ${equivalentKeys.get(k).why}]` : k));
  writeFileSync(`reports/mutation/${name}.survivors.txt`, `${marked.join('\n')}\n`);
  const pct = (denominator) => (denominator === 0 ? 0 : (100 * killed) / denominator);
  return {
    target: name,
    file: target.mutate,
    mutants: results.length,
    killed,
    survived,
    noCoverage,
    score: pct(covered),
    wording,
    scoreWithoutWording: pct(covered - wording),
    equivalent,
    scoreReviewed: pct(covered - wording - equivalent),
    minutes,
  };
}

/** A saved report (mutation-testing-report-schema) as results: `--rescore` after the equivalents list changed. */
function savedResults(name) {
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
  return Object.entries(report.files).flatMap(([file, f]) =>
    f.mutants.map((m) => ({
      file: file.replace(`${process.cwd()}/`, ''),
      line: m.location.start.line,
      mutatorName: m.mutatorName,
      replacement: m.replacement ?? '',
      status: m.status,
    })),
  );
}

mkdirSync('reports/mutation', { recursive: true });
const rows = [];
for (const name of chosen) {
  const target = TARGETS[name];
  if (rescore) {
    rows.push(summarize(name, target, savedResults(name), 0));
    continue;
  }
  // The mutation vitest config reads the test list from here (see vitest.mutation.config.ts).
  process.env.ROUTELANG_MUTATION_TESTS = target.tests.join(',');
  process.env.ROUTELANG_HUNT_POLICIES = '300';
  process.env.ROUTELANG_DIFF_CASES = '5000';
  const started = Date.now();
  const results = await new Stryker({
    testRunner: 'vitest',
    plugins: [runner],
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    mutate: [target.mutate],
    coverageAnalysis: 'perTest',
    concurrency: Number(process.env.ROUTELANG_MUTATION_CONCURRENCY ?? 2),
    timeoutMS: 30_000,
    reporters: ['json', 'progress'],
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    incremental,
    incrementalFile: `reports/mutation/${name}.incremental.json`,
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    ignoreStatic: true,
  }).runMutationTest();
  const shaped = results.map((r) => ({
    file: r.fileName.replace(`${process.cwd()}/`, ''),
    line: r.location.start.line,
    mutatorName: r.mutatorName,
    replacement: r.replacement ?? '',
    status: r.status,
  }));
  rows.push(summarize(name, target, shaped, (Date.now() - started) / 60_000));
}

console.log(
  '| target | file | mutants | killed | survived | no coverage | score (covered) | wording survivors | score without wording | listed equivalent | score without wording and equivalents | minutes |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.target} | \`${r.file}\` | ${r.mutants} | ${r.killed} | ${r.survived} | ${r.noCoverage} | ${r.score.toFixed(1)}% | ${r.wording} | ${r.scoreWithoutWording.toFixed(1)}% | ${r.equivalent} | ${r.scoreReviewed.toFixed(1)}% | ${r.minutes.toFixed(1)} |`,
  );
}
