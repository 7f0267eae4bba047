// The demo behind the README's first command: checks every bundled example, confirms
// they are canonically formatted, then shows what the checker catches in a policy with
// three typical mistakes (a misspelt model, a unit mix-up, split weights that do not add up).
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandFiles } from '../packages/dsl/dist/cli/files.js';
import { renderText } from '../packages/dsl/dist/cli/render.js';
import { format } from '../packages/dsl/dist/format.js';
import { checkPolicy, nodeHost } from '../packages/dsl/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = expandFiles([join(root, 'examples')]);
let failures = 0;

console.log('Routelang demo: the bundled examples\n');
console.log('| policy | models | rules | assertions | tests | diagnostics | formatted |');
console.log('| --- | ---: | ---: | ---: | ---: | --- | --- |');
for (const file of files) {
  const result = checkPolicy(file);
  const policy = result.policy;
  const rules = [policy.entryRoute, ...policy.routes.values()].filter(Boolean).reduce((n, r) => n + r.node.rules.length, 0);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const formatted = format(readFileSync(file, 'utf8'), file);
  const canonical = formatted.ok && formatted.text === readFileSync(file, 'utf8');
  if (errors > 0 || !canonical) failures++;
  const name = relative(root, file);
  console.log(
    `| ${name} | ${policy.models.size} | ${rules} | ${policy.asserts.length} | ${policy.tests.size} | ${errors === 0 && warnings === 0 ? 'clean' : `${errors} errors, ${warnings} warnings`} | ${canonical ? 'yes' : 'no'} |`,
  );
}

// The same support policy with three mistakes a reviewer could easily miss.
const original = join(root, 'examples', 'support-assistant', 'policy.route');
const broken = readFileSync(original, 'utf8')
  .replace('when intent == code -> coder fallback sonnet', 'when intent == code -> coder fallback sonet')
  .replace('prompt.tokens < 8k', 'prompt.tokens < 8s')
  .replace('split by tenant { mini: 90%, sonnet: 10% }', 'split by tenant { mini: 90%, sonnet: 20% }');
const result = checkPolicy(original, nodeHost(new Map([[original, broken]])));
const sources = (f) => result.program.modules.get(f)?.source;
console.log('\nThe support policy with three typical mistakes, as `routelang check` reports it:\n');
console.log(renderText(result.diagnostics, sources, process.stdout.isTTY === true));
if (result.diagnostics.filter((d) => d.severity === 'error').length !== 3) failures++;

console.log(`\n${files.length} example files checked; ${failures === 0 ? 'all clean and formatted' : `${failures} problem(s)`}.`);
process.exitCode = failures === 0 ? 0 : 1;
