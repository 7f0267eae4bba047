// The demo behind the README's first command: compiles every bundled example (proving
// its assertions, bounding its cost), runs its tests, replays its sample traffic through the
// runtime with simulated models (the cost against always calling the most capable model),
// and shows what Routelang catches: three typing mistakes, and a well-typed edit that would
// send EU data to a US-only model. HTML reports go to demo-output/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandFiles } from '../packages/dsl/dist/cli/files.js';
import { renderText } from '../packages/dsl/dist/cli/render.js';
import { format } from '../packages/dsl/dist/format.js';
import { compilePolicy, decidingRules, nodeHost, runPolicyTests, worstCost } from '../packages/dsl/dist/index.js';
import { resolveProfile } from '../packages/dsl/dist/simulate/profile.js';
import { dollars, renderSimulationHtml } from '../packages/dsl/dist/simulate/report.js';
import { simulate } from '../packages/dsl/dist/simulate/simulate.js';
import { loadTokenizer } from '../packages/runtime/dist/index.js';
import { generateTraffic } from './generate-traffic.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = expandFiles([join(root, 'examples')]).filter((f) => !f.endsWith('catalog.route'));
const color = process.stdout.isTTY === true;
let problems = 0;

console.log('Routelang demo: the bundled examples, compiled, proved and tested\n');
console.log('| policy | rules | graph nodes | assertions proved | worst case per request | tests | formatted |');
console.log('| --- | ---: | ---: | ---: | ---: | --- | --- |');
const compiled = new Map();
for (const file of files) {
  const result = compilePolicy(file);
  compiled.set(file, result);
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
  const worst = Math.max(0, ...decidingRules(c).map((d) => worstCost(c, d.plan, d.region, d.inherited).total));
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

// The sample traffic (generated with a fixed seed the first time) through each policy.
console.log('\nThe sample traffic of each example, replayed through the runtime with simulated models (seed 1):\n');
console.log(
  '| policy | requests | answered | denied | failed | invalid | escalated | fell back | p95 latency | cost | always the most capable model | saved |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const tokenizer = await loadTokenizer('o200k_base');
const outDir = join(root, 'demo-output');
mkdirSync(outDir, { recursive: true });
let cost = 0;
let baseline = 0;
for (const file of files) {
  const result = compiled.get(file);
  if (!result.ir) continue;
  const name = relative(join(root, 'examples'), dirname(file));
  const traffic = join(dirname(file), 'traffic.jsonl');
  if (!existsSync(traffic)) generateTraffic(name);
  // An example may bring its own simulation profile (reliability simulates a provider outage).
  const profileFile = join(dirname(file), 'simulation.json');
  const given = existsSync(profileFile) ? JSON.parse(readFileSync(profileFile, 'utf8')) : undefined;
  const { profile, problems: profileProblems } = resolveProfile(result.ir, given, 1);
  if (!profile) {
    problems++;
    console.log(`| ${name} | profile: ${profileProblems.map((p) => p.message).join('; ')} |`);
    continue;
  }
  const r = await simulate(result.ir, readFileSync(traffic, 'utf8').split('\n'), { profile, tokenizer });
  writeFileSync(join(outDir, `${name}.html`), renderSimulationHtml(r, relative(root, traffic)));
  cost += r.cost.total;
  baseline += r.cost.baseline;
  const share = (n) => `${((n / Math.max(1, r.requests)) * 100).toFixed(1)}%`;
  console.log(
    `| ${name} | ${r.requests.toLocaleString('en-US')} | ${share(r.outcomes.answered)} | ${r.outcomes.denied} | ${r.outcomes.failed} | ${r.outcomes.invalid} | ${(r.escalationRate * 100).toFixed(1)}% | ${(r.fallbackRate * 100).toFixed(1)}% | ${(r.latency.p95Ms / 1000).toFixed(1)} s | ${dollars(r.cost.total)} | ${dollars(r.cost.baseline)} (\`${r.cost.baselineModel}\`) | ${(r.cost.savedShare * 100).toFixed(1)}% |`,
  );
}
console.log(
  `\nAll examples together: ${dollars(cost)} against ${dollars(baseline)} for sending every request to the most capable model: ${dollars(baseline - cost)} saved (${(((baseline - cost) / Math.max(baseline, 1e-12)) * 100).toFixed(1)}%). Charts: demo-output/*.html`,
);

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
