// Portkey's own conditional router, loaded from the installed @portkey-ai/gateway (1.15.2).
// The package ships one bundled server (build/start-server.js, which listens when imported),
// so its router class — `ConditionalRouter`, minified — is cut out of that bundle by its
// unique text (the operator enum and the class that follows it) and evaluated alone. No line
// of it is rewritten: what runs is Portkey's code.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `new ConditionalRouter(config, context).resolveTarget()`, as the gateway calls it per request. */
export function loadConditionalRouter() {
  const bundle = readFileSync(require.resolve('@portkey-ai/gateway/build/start-server.js'), 'utf8');
  const enumStart = bundle.search(/var (\w+);!function\(e\)\{e\.Equal="\$eq"/);
  if (enumStart < 0) throw new Error('Portkey bundle: the query operators were not found (another version?)');
  const classStart = bundle.indexOf('class ', enumStart);
  const className = /class (\w+)\{config;context;constructor/.exec(bundle.slice(classStart, classStart + 80))?.[1];
  if (!className || !bundle.slice(classStart, classStart + 400).includes('Unsupported strategy mode'))
    throw new Error('Portkey bundle: ConditionalRouter not found');
  let depth = 0;
  let end = bundle.indexOf('{', classStart);
  for (; end < bundle.length; end++) {
    if (bundle[end] === '{') depth++;
    else if (bundle[end] === '}' && --depth === 0) break;
  }
  const source = bundle.slice(enumStart, end + 1);
  // The one outside name the class uses: the strategy-mode enum (`ga.CONDITIONAL` = "conditional").
  const modes = /(\w+)\.CONDITIONAL/.exec(source)?.[1];
  const factory = new Function(modes ?? 'unused', `${source}\nreturn ${className};`);
  return factory({ CONDITIONAL: 'conditional' });
}
