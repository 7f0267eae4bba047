// The demo behind the README's first command: compiles every bundled example (proving
// its assertions, bounding its cost), runs its tests, and shows what Routelang catches:
// three typing mistakes, and a well-typed edit that would send EU data to a US-only model.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandFiles } from '../packages/dsl/dist/cli/files.js';
import { renderText } from '../packages/dsl/dist/cli/render.js';
import { format } from '../packages/dsl/dist/format.js';
import { compilePolicy, decidingRules, maxPromptTokens, nodeHost, runPolicyTests, worstCost } from '../packages/dsl/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = expandFiles([join(root, 'examples')]).filter((f) => !f.endsWith('catalog.route'));
const color = process.stdout.isTTY === true;
let problems = 0;

console.log('Routelang demo: the bundled examples, compiled, proved and tested\n');
console.log('| policy | rules | graph nodes | assertions proved | worst case per request | tests | formatted |');
console.log('| --- | ---: | ---: | ---: | ---: | --- | --- |');
for (const file of files) {
  const result = compilePolicy(file);
  const name = relative(root, file);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ir || !result.compilation || result.diagnostics.length > 0) {
    problems++;
    console.log(`| ${name} | ${errors.length} errors, ${result.diagnostics.length - errors.length} warnings | | | | | |`);
    continue;
  }
  const c = result.compilation;
  const rules = [...c.routes.values()].reduce((n, r) => n + r.rules.length, 0);
  const nodes = result.ir.routes.reduce((n, r) => n + r.graph.nodes.length, 0);
  const worst = Math.max(0, ...decidingRules(c).map((d) => worstCost(d.plan, maxPromptTokens(c, d.region), c).total));
  const report = await runPolicyTests(c, result.ir);
  const passed = report.outcomes.filter((o) => o.passed).length;
  if (passed !== report.outcomes.length) problems++;
  const text = readFileSync(file, 'utf8');
  const formatted = format(text, file);
  const canonical = formatted.ok && formatted.text === text;
  if (!canonical) problems++;
  console.log(
    `| ${name} | ${rules} | ${nodes} | ${c.assertions.length} | $${worst.toFixed(2)} | ${passed}/${report.outcomes.length} passed | ${canonical ? 'yes' : 'no'} |`,
  );
}

const support = join(root, 'examples', 'support-assistant', 'policy.route');
const original = readFileSync(support, 'utf8');
function show(title, text, expectedCodes) {
  const result = compilePolicy(support, nodeHost(new Map([[support, text]])));
  console.log(`\n${title}\n`);
  console.log(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, color));
  const codes = result.diagnostics.map((d) => d.code).join(',');
  if (codes !== expectedCodes) {
    problems++;
    console.log(`(expected ${expectedCodes}, got ${codes})`);
  }
}

show(
  'The support policy with three typical mistakes, as `routelang check` reports them:',
  original
    .replace('coder fallback sonnet', 'coder fallback sonet')
    .replace('prompt.tokens < 8k', 'prompt.tokens < 8s')
    .replace('split by tenant { mini: 90%, sonnet: 10% }', 'split by tenant { mini: 90%, sonnet: 20% }'),
  'RL2002,RL2012,RL2015',
);
show(
  'A well-typed edit that drops the region guard on code requests: the EU assertion fails, with the request that breaks it:',
  original.replace('when intent == code and region == us -> coder fallback sonnet', 'when intent == code -> coder fallback sonnet'),
  'RL3004,RL3002',
);

console.log(`\n${files.length} policies compiled, proved and tested; ${problems === 0 ? 'everything as expected' : `${problems} problem(s)`}.`);
process.exitCode = problems === 0 ? 0 : 1;
