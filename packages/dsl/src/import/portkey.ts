// `routelang import portkey`: a Portkey gateway config (JSON) → a Routelang policy.
// Targets (provider + model) become models; `strategy.mode` single, fallback (with
// `on_status_codes` as error classes), loadbalance (weights → split) and conditional
// (`conditions` → rules, `default` → otherwise) become plans, nested as deep as the config
// nests them (a nested conditional becomes a named route); `retry` and `request_timeout`
// become plan options.
//
// Requests: each key a condition reads (`metadata.plan`, `params.max_tokens`) is an input
// field (`metadata_plan`, `params_max_tokens`), and `present` lists the keys the request
// has. In Portkey a condition on a missing key is false, whatever the operator (`$ne` and
// `$nin` too), so every comparison the import writes is guarded by `"KEY" in present`.
// `toRoutelangRequest` builds such a request from Portkey's metadata and params.

import { MAX_RETRIES } from '../check/plans.js';
import { canonical, duration, type ImportNote, type ImportResult, isRecord, locator, Names, readDocument, str } from './common.js';
import { MAX_CONFIG_BYTES, percentages } from './litellm.js';

const CONFIG_KEYS = new Set([
  'strategy',
  'targets',
  'retry',
  'request_timeout',
  'cache',
  'override_params',
  'provider',
  'api_key',
  'virtual_key',
  'prompt_id',
  'name',
  'weight',
  'custom_host',
  'forward_headers',
  'before_request_hooks',
  'after_request_hooks',
  'input_guardrails',
  'output_guardrails',
  'cb_config',
]);
/** Settings Portkey applies that a policy does not express: each noted where it is found. */
const GUARDRAILS = 'guardrails run in Portkey, not in a Routelang policy; not imported (a Routelang `validator` on a cascade or `until` is the nearest)';
const HOOKS = 'hooks run in Portkey; not imported';
const NOT_IMPORTED: Readonly<Record<string, string>> = {
  input_guardrails: GUARDRAILS,
  output_guardrails: GUARDRAILS,
  before_request_hooks: HOOKS,
  after_request_hooks: HOOKS,
  cache: "caching is the gateway's, not the policy's; not imported",
  cb_config: 'a circuit breaker per target: Routelang opens one per model by default (runtime options `breaker`); these thresholds are not imported',
  forward_headers: "header forwarding is the gateway's; not imported",
  custom_host: "the host goes in the provider's `base_url` in Routelang; not imported",
};

const OPS = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$regex']);
const ORDERING = new Set(['$gt', '$gte', '$lt', '$lte']);
/** The key of the field that holds `parseFloat` of a Portkey key's value (what its ordering operators compare). */
const PARSED = 'parseFloat(';
/** The key of the field that holds `String(value)` of a Portkey key (what `$regex` tests: "undefined" when missing). */
const TEXT = 'String(';

/** A Portkey import: the policy, and the fields that carry the request's metadata and params. */
export interface PortkeyImport extends ImportResult {
  /** Portkey key (`metadata.plan`) → input field and its type. */
  readonly fields: ReadonlyMap<string, { readonly field: string; readonly type: 'string' | 'number' | 'bool' }>;
  /** Routelang model → Portkey target name. */
  readonly targets: ReadonlyMap<string, string>;
  /** Routelang model → where its (first) target is in the configuration, for findings about it. */
  readonly places: ReadonlyMap<string, { readonly line: number; readonly column: number; readonly path: string }>;
}

/**
 * The Routelang request for a Portkey request: its prompt, each key the policy reads (when
 * present), and `present`, the keys it has.
 */
export function toRoutelangRequest(
  result: PortkeyImport,
  request: { prompt: string; metadata?: Record<string, unknown>; params?: Record<string, unknown>; url?: { pathname?: string } },
): Record<string, unknown> {
  const out: Record<string, unknown> = { prompt: request.prompt };
  const present: string[] = [];
  for (const [key, { field, type }] of result.fields) {
    const parsed = key.startsWith(PARSED);
    const text = key.startsWith(TEXT);
    const [space, ...rest] = (parsed ? key.slice(PARSED.length, -1) : text ? key.slice(TEXT.length, -1) : key).split('.');
    const source: Record<string, unknown> | undefined = space === 'metadata' ? request.metadata : space === 'params' ? request.params : request.url;
    const name = rest.join('.');
    if (text) {
      // `$regex` tests `new RegExp(r).test(value)`: the value as a string, "undefined" when missing.
      out[field] = String(source && Object.hasOwn(source, name) ? source[name] : undefined);
      continue;
    }
    if (!source || !Object.hasOwn(source, name)) continue;
    const value = source[name];
    if (parsed) {
      // Portkey's `$gt`/`$gte`/`$lt`/`$lte` compare `parseFloat(value)`: "75" is 75, "75abc" is 75,
      // anything NaN fails every comparison (as a missing key does). ±Infinity stays beyond any constant.
      const n = Number.parseFloat(value as string);
      if (Number.isNaN(n)) continue;
      // ±Infinity: beyond every constant a policy can write, on the same side.
      out[field] = Number.isFinite(n) ? n : Math.sign(n) * Number.MAX_VALUE;
      present.push(key);
      continue;
    }
    if (type === 'number' ? typeof value !== 'number' : type === 'bool' ? typeof value !== 'boolean' : typeof value !== 'string') continue;
    out[field] = value;
    present.push(key);
  }
  if (result.fields.size > 0) out.present = present;
  return out;
}

interface Ctx {
  readonly notes: ImportNote[];
  readonly names: Names;
  readonly models: string[];
  readonly routes: string[];
  readonly fields: Map<string, { field: string; type: 'string' | 'number' | 'bool' }>;
  readonly targets: Map<string, string>;
  readonly places: Map<string, { line: number; column: number; path: string }>;
  readonly pos: (path: readonly (string | number)[]) => { line: number; column: number; path: string };
  routeCount: number;
  splits: boolean;
  /** Plans copied into by fallbacks around choices that may answer nothing (bounded by MAX_COPIES). */
  copies: number;
}

/** Imports a Portkey config. Never throws on bad input. */
export function importPortkey(text: string, file = 'config.json'): PortkeyImport {
  const notes: ImportNote[] = [];
  const empty = (): PortkeyImport => ({ policy: undefined, notes, names: new Map(), fields: new Map(), targets: new Map(), places: new Map() });
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    notes.push({ severity: 'error', path: '', line: 1, column: 1, message: `the configuration is over ${MAX_CONFIG_BYTES / 1024 / 1024} MB` });
    return empty();
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    // Node's message names the offset only sometimes; the YAML parser (JSON is YAML) always does.
    const m = /position (\d+)/.exec((error as Error).message);
    const { lines, errors } = readDocument(text);
    const yamlError = errors[0];
    const at = m ? lines.linePos(Number(m[1])) : yamlError ? { line: yamlError.line, col: yamlError.column } : { line: 1, col: 1 };
    notes.push({ severity: 'error', path: '', line: at.line, column: at.col, message: `not JSON: ${(error as Error).message.split('\n')[0]}` });
    return empty();
  }
  const { doc, lines, errors } = readDocument(text);
  notes.push(...errors);
  if (notes.length > 0) return empty();
  const pos = locator(doc, lines, { line: 1, col: 1 });
  if (!isRecord(config)) {
    notes.push({ severity: 'error', ...pos([]), message: 'a Portkey config is a JSON object (with `strategy` and `targets`, or a single provider)' });
    return empty();
  }
  const ctx: Ctx = {
    notes,
    names: new Names(),
    models: [],
    routes: [],
    fields: new Map(),
    targets: new Map(),
    places: new Map(),
    pos,
    routeCount: 0,
    splits: false,
    copies: 0,
  };
  const translated = plan(ctx, config, [], {});
  if (notes.some((n) => n.severity === 'error') || translated === undefined) return empty();
  const entry = emit(ctx, translated, true);
  notes.push({
    severity: 'note',
    ...pos([]),
    message:
      'Portkey configs carry no prices or context windows: targets are imported at $0 with a 128,000-token window, so cost and window checks do not apply until you set them',
  });
  const fieldLines = [...ctx.fields.values()].map(
    ({ field, type }) => `  ${field}: ${type}${type === 'string' ? ' = ""' : type === 'number' ? ' = 0' : ' = false'}`,
  );
  const policy = canonical(
    [
      `// Imported from ${file} by \`routelang import portkey\`.`,
      ...(ctx.fields.size > 0 ? ['// Request: each metadata/params key the conditions read is a field; `present` lists the keys the request has.'] : []),
      'policy portkey_import',
      '',
      ctx.models.join('\n\n'),
      '',
      'input {',
      '  prompt: text',
      ...(ctx.fields.size > 0 ? ['  present: list<string> = []'] : []),
      ...fieldLines,
      ...(ctx.splits ? ['  request_id: string = ""'] : []),
      '}',
      '',
      ...ctx.routes.flatMap((r) => [r, '']),
      entry.startsWith('route {') ? entry : `route {\n  otherwise -> ${entry}\n}`,
      '',
    ].join('\n'),
    file,
  );
  return { policy, notes, names: ctx.names.originals(), fields: ctx.fields, targets: ctx.targets, places: ctx.places };
}

/** A load balance whose weights are all 0: Portkey picks no target and the request fails. */
const PICKS_NOTHING = 'deny "Portkey picks no target here: every weight is 0"';

/**
 * An imported config node. Portkey has an outcome a Routelang plan has not: a load balance
 * whose weights are all 0 picks no target and answers nothing at all (handlerUtils,
 * LOADBALANCE: no draw falls below a total of 0). That nothing passes up through load
 * balances, conditionals and a fallback that lists status codes (it breaks on a status
 * not listed), and a fallback that lists none moves on to its next target. A denial passes
 * up through everything, so a nothing is imported as a denial wherever no fallback without
 * codes is above it, and such a fallback is pushed into the plan that may answer nothing:
 *
 * - `plan`: always answers (the text of the plan);
 * - `open`: answers nothing after some failure. `deny` is its plan with that nothing a
 *   denial; `drop` the same plan but for the nothing, which fails as the step before it did
 *   (for a fallback that moves on after a failure and after a nothing alike; absent where
 *   no plan says so);
 * - `nothing`: always answers nothing;
 * - `split`/`conditional`: a choice with an arm that may answer nothing, kept apart so a
 *   fallback around it goes into each arm (the draw does not depend on what ran before).
 */
type Translated =
  | { readonly kind: 'plan'; readonly text: string }
  | { readonly kind: 'open'; readonly deny: string; readonly drop: string | undefined }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'split'; readonly arms: readonly { readonly plan: Translated; readonly share: string }[] }
  | {
      readonly kind: 'conditional';
      readonly rules: readonly { readonly when: string; readonly plan: Translated }[];
      readonly otherwise: Translated;
      readonly at: (string | number)[];
    };

const NOTHING: Translated = { kind: 'nothing' };
/** How a finding starts where the imported policy does not do what Portkey does (a test leaves such configs out of its comparison). */
export const INEXACT = 'not imported exactly';
/** More arms than this, copied into by fallbacks around choices that may answer nothing: not imported. */
const MAX_COPIES = 10_000;

/** Wraps a plan written as an operand of `fallback`. */
const bracket = (p: string): string => (/ fallback | on \[/.test(p) ? `(${p})` : p);
const fallback = (a: string, b: string, on: string | undefined): string => `${bracket(a)} fallback ${bracket(b)}${on ? ` on [${on}]` : ''}`;

/** Whether a translated node always answers (no nothing inside). */
const answers = (t: Translated): t is { kind: 'plan'; text: string } => t.kind === 'plan';

/**
 * `x`, then `rest` when `x` does not answer well: Portkey's fallback moving on from one
 * target to the next — after any failure and after a nothing when `on` is absent, after a
 * failure whose status is listed when it is given (a nothing then ends the fallback).
 */
function then(ctx: Ctx, x: Translated, rest: Translated, on: string | undefined, at: (string | number)[]): Translated {
  if (++ctx.copies > MAX_COPIES) {
    if (ctx.copies === MAX_COPIES + 1)
      ctx.notes.push({
        severity: 'error',
        ...ctx.pos(at),
        message: `load balances whose weights are all 0, nested in fallbacks, need over ${MAX_COPIES} copies of plans to import exactly: not imported`,
      });
    return NOTHING;
  }
  if (x.kind === 'nothing') return on ? NOTHING : rest;
  if (x.kind === 'split' || x.kind === 'conditional') return eachArm(x, (arm) => then(ctx, arm, rest, on, at));
  // A choice after `x` is drawn before it (the draw is independent of `x`'s outcome).
  if (rest.kind === 'split' || rest.kind === 'conditional') return eachArm(rest, (arm) => then(ctx, x, arm, on, at));
  // What `x` runs when what follows catches its nothing as it catches its failures.
  let first: string;
  if (x.kind === 'plan') first = x.text;
  else if (on) {
    // The nothing ends this fallback (a denial), and so does a failure whose status is not listed.
    if (rest.kind === 'nothing') return { kind: 'open', deny: fallback(x.deny, PICKS_NOTHING, on), drop: x.drop };
    // A listed failure runs `rest`; the nothing and any other failure end here, and a later
    // fallback would have to tell them apart (its `drop`), which no plan says.
    return { kind: 'open', deny: fallback(x.deny, rest.kind === 'plan' ? rest.text : rest.deny, on), drop: undefined };
  } else if (x.drop !== undefined) first = x.drop;
  else {
    // Once per place, however many arms of a choice the fallback was copied into.
    const place = ctx.pos(at);
    if (!ctx.notes.some((n) => n.message.startsWith(INEXACT) && n.path === place.path))
      ctx.notes.push({
        severity: 'finding',
        ...place,
        message: `${INEXACT}: a load balance whose weights are all 0 answers nothing after a failure the inner fallback's \`on_status_codes\` lists, and Portkey then moves on to the next target here, which no Routelang plan says; imported as a denial at that point`,
      });
    first = x.deny;
  }
  if (rest.kind === 'plan') return { kind: 'plan', text: fallback(first, rest.text, on) };
  if (rest.kind === 'nothing') return { kind: 'open', deny: fallback(first, PICKS_NOTHING, on), drop: first };
  return { kind: 'open', deny: fallback(first, rest.deny, on), drop: rest.drop === undefined ? undefined : fallback(first, rest.drop, on) };
}

/** The same choice with `f` of each arm. */
function eachArm(t: Extract<Translated, { kind: 'split' | 'conditional' }>, f: (arm: Translated) => Translated): Translated {
  if (t.kind === 'split') return { kind: 'split', arms: t.arms.map((a) => ({ plan: f(a.plan), share: a.share })) };
  return { ...t, rules: t.rules.map((r) => ({ when: r.when, plan: f(r.plan) })), otherwise: f(t.otherwise) };
}

/** The Routelang plan of a translated node: a nothing is a denial; a conditional becomes a named route (the entry route at the top). */
function emit(ctx: Ctx, t: Translated, top = false): string {
  switch (t.kind) {
    case 'plan':
      return t.text;
    case 'open':
      return t.deny;
    case 'nothing':
      return PICKS_NOTHING;
    case 'split':
      ctx.splits = true;
      return `split by request_id { ${t.arms.map((a) => `${bracket(emit(ctx, a.plan))}: ${a.share}%`).join(', ')} }`;
    case 'conditional': {
      const body = `{\n${t.rules.map((r) => `  when ${r.when} -> ${emit(ctx, r.plan)}\n`).join('')}  otherwise -> ${emit(ctx, t.otherwise)}\n}`;
      return top ? `route ${body}` : namedRoute(ctx, t.at, body);
    }
  }
}

function namedRoute(ctx: Ctx, path: (string | number)[], body: string): string {
  const name = `conditional_${++ctx.routeCount}`;
  ctx.routes.push(`// ${ctx.pos(path).path || 'the config'} (line ${ctx.pos(path).line})\nroute ${name} ${body}`);
  return name;
}

interface Inherited {
  retries?: number;
  timeoutMs?: number;
}

/** The plan of a config node (a target or the whole config); a conditional at the top is the entry route itself. */
function plan(ctx: Ctx, node: Record<string, unknown>, path: (string | number)[], inherited: Inherited): Translated | undefined {
  const note = (severity: ImportNote['severity'], p: readonly (string | number)[], message: string) => ctx.notes.push({ severity, ...ctx.pos(p), message });
  for (const key of Object.keys(node)) {
    const dropped = NOT_IMPORTED[key];
    if (dropped !== undefined) note('note', [...path, key], `\`${key}\`: ${dropped}`);
    else if (!CONFIG_KEYS.has(key)) note('note', [...path, key], `unknown key \`${key}\`: not imported`);
  }
  // A key written into the configuration is a problem in it; the import never copies one.
  if (typeof node.api_key === 'string' && node.api_key.length > 0)
    note(
      'finding',
      [...path, 'api_key'],
      '`api_key` is written in the configuration; keep keys in Portkey (a virtual key) or the environment (the import never copies it)',
    );
  const options: Inherited = { ...inherited };
  if (isRecord(node.retry)) {
    const attempts = node.retry.attempts;
    if (typeof attempts === 'number' && Number.isInteger(attempts) && attempts > MAX_RETRIES) {
      options.retries = MAX_RETRIES;
      note('note', [...path, 'retry', 'attempts'], `retry.attempts: ${attempts} retries imported as ${MAX_RETRIES}, the most a policy allows per call`);
    } else if (typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 0) options.retries = attempts;
    else note('finding', [...path, 'retry', 'attempts'], '`retry.attempts` must be a whole number');
    if (Array.isArray(node.retry.on_status_codes))
      note('note', [...path, 'retry', 'on_status_codes'], 'retries run on timeouts, 429 and 5xx in Routelang; `retry.on_status_codes` is not imported');
  }
  if (node.request_timeout !== undefined) {
    if (typeof node.request_timeout === 'number' && node.request_timeout > 0) options.timeoutMs = node.request_timeout;
    else note('finding', [...path, 'request_timeout'], '`request_timeout` must be a positive number of milliseconds');
  }
  const strategy = isRecord(node.strategy) ? node.strategy : undefined;
  const targets = Array.isArray(node.targets) ? node.targets : undefined;
  if (!strategy && !targets) {
    const model = leaf(ctx, node, path, options);
    return model === undefined ? undefined : { kind: 'plan', text: model };
  }
  const mode = strategy?.mode ?? 'single';
  if (!targets || targets.length === 0) {
    note('error', [...path, 'targets'], `strategy \`${String(mode)}\` needs a non-empty \`targets\` list`);
    return undefined;
  }
  const sub = (i: number): Translated | undefined => {
    const t = targets[i];
    if (!isRecord(t)) {
      note('error', [...path, 'targets', i], 'each target is an object');
      return undefined;
    }
    return plan(ctx, t, [...path, 'targets', i], options);
  };
  switch (mode) {
    case 'single':
      if (targets.length > 1) note('note', [...path, 'targets'], 'strategy `single` uses the first target only');
      return sub(0);
    case 'fallback': {
      const plans: Translated[] = [];
      for (let i = 0; i < targets.length; i++) {
        const p = sub(i);
        if (p === undefined) return undefined;
        plans.push(p);
      }
      // Portkey moves to the next target when the answer's status is listed (any failure
      // when nothing is): `on [429, 503]` is the same test on the upstream's status.
      const codes = Array.isArray(strategy?.on_status_codes) ? strategy.on_status_codes : undefined;
      const on = codes ? statusCodes(codes, (m) => note('note', [...path, 'strategy', 'on_status_codes'], m)) : undefined;
      if (on && on.length === 0) {
        note('finding', [...path, 'strategy', 'on_status_codes'], 'no listed status code is an HTTP error: the fallback targets are never used');
        return plans[0];
      }
      const suffix = on?.join(', ');
      const texts = plans.flatMap((p) => (answers(p) ? [p.text] : []));
      if (texts.length === plans.length)
        return { kind: 'plan', text: texts.slice(1).reduce((chain, next) => fallback(chain, next, suffix), texts[0] as string) };
      // A target that may answer nothing: each target then what follows it, from the last.
      let rest = plans[plans.length - 1] as Translated;
      for (let i = plans.length - 2; i >= 0; i--) rest = then(ctx, plans[i] as Translated, rest, suffix, [...path, 'targets', i + 1]);
      return rest;
    }
    case 'loadbalance': {
      const plans = targets.map((_, i) => sub(i));
      if (plans.some((p) => p === undefined)) return undefined;
      // Portkey's pick (handlerUtils, LOADBALANCE): a missing weight is 1; a target is taken
      // when a uniform draw below the total falls within its weight, so a weight of 0 is never
      // taken. Its config schema refuses a weight that is not a number.
      const weights = targets.map((t, i) => {
        const w = isRecord(t) ? t.weight : undefined;
        if (w === undefined) return 1;
        if (typeof w !== 'number' || !Number.isFinite(w)) {
          note('finding', [...path, 'targets', i, 'weight'], '`weight` must be a number: Portkey refuses this config ("Invalid config passed"); imported as 1');
          return 1;
        }
        if (w < 0) {
          note(
            'finding',
            [...path, 'targets', i, 'weight'],
            `a negative \`weight\` (${w}) skews Portkey's pick of the other targets: imported as 0 (never picked)`,
          );
          return 0;
        }
        if (w === 0) note('note', [...path, 'targets', i, 'weight'], 'weight 0: Portkey never picks this target; left out of the split');
        return w;
      });
      const picked = weights.flatMap((w, i) => (w > 0 ? [i] : []));
      if (picked.length === 0) {
        note(
          'finding',
          [...path, 'targets'],
          'every weight is 0: Portkey picks no target and calls nothing; a fallback above that lists no status codes moves on to its next target, anywhere else the request fails (imported as a denial)',
        );
        return NOTHING;
      }
      if (picked.length === 1) return plans[picked[0] as number];
      if (strategy?.sticky !== undefined)
        note(
          'note',
          [...path, 'strategy', 'sticky'],
          'sticky load balancing keeps a caller on one target; imported as a split sticky per `request_id`: change `split by request_id` to the field that names the caller (a user or session field) to keep them on one target',
        );
      else note('note', [...path, 'strategy'], 'loadbalance picks a target at random per request, by weight; imported as a split sticky per `request_id`');
      ctx.splits = true;
      const shares = percentages(picked.map((i) => weights[i] || 1));
      const arms = picked.map((i, k) => ({ plan: plans[i] as Translated, share: String(shares[k]) }));
      const split: Translated = { kind: 'split', arms };
      // A split whose arms all answer is a plan now; else it stays a choice.
      return arms.every((a) => answers(a.plan)) ? { kind: 'plan', text: emit(ctx, split) } : split;
    }
    case 'conditional':
      return conditional(ctx, strategy ?? {}, targets, path, sub);
    default:
      note('error', [...path, 'strategy', 'mode'], `unknown strategy mode \`${String(mode)}\`; Portkey has single, fallback, loadbalance and conditional`);
      return undefined;
  }
}

function conditional(
  ctx: Ctx,
  strategy: Record<string, unknown>,
  targets: readonly unknown[],
  path: (string | number)[],
  sub: (i: number) => Translated | undefined,
): Translated | undefined {
  const note = (severity: ImportNote['severity'], p: readonly (string | number)[], message: string) => ctx.notes.push({ severity, ...ctx.pos(p), message });
  const byName = new Map<string, number>();
  const imported = new Map<number, Translated | undefined>();
  targets.forEach((t, i) => {
    if (!isRecord(t) || typeof t.name !== 'string') return;
    // Portkey's findTarget takes the first target of a name.
    if (byName.has(t.name))
      note('finding', [...path, 'targets', i, 'name'], `a second target named \`${t.name}\`: Portkey always takes the first, so this one is never used`);
    else byName.set(t.name, i);
  });
  const planOf = (name: unknown, p: (string | number)[]): Translated => {
    if (typeof name !== 'string' || !byName.has(name)) {
      note(
        'finding',
        p,
        `conditional target \`${String(name)}\` is not defined${byName.size > 0 ? ` (targets: ${[...byName.keys()].join(', ')})` : ''}: Portkey fails such requests`,
      );
      return { kind: 'plan', text: `deny ${str(`target ${String(name)} is not defined`)}` };
    }
    // Once per target: a nested conditional named by several conditions (and the default)
    // becomes one named route, not one per mention (which doubled the output per level).
    const index = byName.get(name) as number;
    if (!imported.has(index)) imported.set(index, sub(index));
    return imported.get(index) ?? { kind: 'plan', text: `deny ${str(`target ${name} is not imported`)}` };
  };
  const rules: { when: string; plan: Translated }[] = [];
  const conditions = Array.isArray(strategy.conditions) ? strategy.conditions : [];
  if (!Array.isArray(strategy.conditions)) note('error', [...path, 'strategy'], 'a conditional strategy needs a `conditions` list');
  conditions.forEach((c, i) => {
    const p = [...path, 'strategy', 'conditions', i];
    if (!isRecord(c) || !isRecord(c.query)) {
      note('error', p, 'each condition is an object with a `query` and a `then`');
      return;
    }
    const cond = query(ctx, c.query, [...p, 'query']);
    if (cond === undefined) return;
    rules.push({ when: cond, plan: planOf(c.then, [...p, 'then']) });
  });
  const otherwise: Translated =
    strategy.default === undefined
      ? { kind: 'plan', text: `deny "no condition matched and the config has no default"` }
      : planOf(strategy.default, [...path, 'strategy', 'default']);
  if (strategy.default === undefined) note('finding', [...path, 'strategy'], 'the conditional strategy has no `default`: requests no condition matches fail');
  const translated: Translated = { kind: 'conditional', rules, otherwise, at: path };
  // A conditional whose targets all answer is one route, made here; else it stays a choice.
  if (!answers(otherwise) || !rules.every((r) => answers(r.plan))) return translated;
  return { kind: 'plan', text: emit(ctx, translated, path.length === 0) };
}

/** A Portkey query as a Routelang condition (each comparison guarded by presence). */
function query(ctx: Ctx, q: Record<string, unknown>, path: (string | number)[]): string | undefined {
  const note = (p: readonly (string | number)[], message: string, severity: ImportNote['severity'] = 'error') =>
    ctx.notes.push({ severity, ...ctx.pos(p), message });
  const parts: string[] = [];
  const entries = Object.entries(q);
  for (const [k, [key, value]] of entries.entries()) {
    const p = [...path, key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) {
        note(p, `\`${key}\` takes a list of queries`);
        return undefined;
      }
      const subs = value.map((v, i) => {
        if (isRecord(v)) return query(ctx, v, [...p, i]);
        note([...p, i], 'each query is an object');
        return undefined;
      });
      if (subs.some((s) => s === undefined)) return undefined;
      // As Portkey evaluates (ConditionalRouter.evaluateQuery): an empty `$and` holds, an
      // empty `$or` does not, and the query's answer is the logical key's: keys after it are
      // never read.
      parts.push(
        subs.length === 0 ? (key === '$and' ? 'true' : 'false') : subs.length === 1 ? (subs[0] as string) : `(${subs.join(key === '$and' ? ' and ' : ' or ')})`,
      );
      const ignored = entries.slice(k + 1).map(([after]) => `\`${after}\``);
      if (ignored.length > 0)
        note(p, `Portkey answers this query at \`${key}\` and never reads the keys after it (${ignored.join(', ')}): imported the same way`, 'note');
      break;
    }
    if (!/^(metadata|params|url)\.[^.]/.test(key)) {
      note(p, `a condition reads \`metadata.*\`, \`params.*\` or \`url.*\`, not \`${key}\``);
      return undefined;
    }
    // Portkey reads two segments of a key (ConditionalRouter.getContextValue): `metadata.org.tier`
    // compares `metadata.org` itself. Imported the same way; a problem in the configuration.
    const segments = key.split('.');
    const read = segments.slice(0, 2).join('.');
    if (segments.length > 2)
      note(p, `Portkey reads only two segments of a key: \`${key}\` compares \`${read}\`, not a value inside it; imported the same way`, 'finding');
    const ops: [string, unknown][] = isRecord(value) ? Object.entries(value) : [['$eq', value]];
    for (const [o, [op, operand]] of ops.entries()) {
      if (!OPS.has(op)) {
        note([...p, op], `unknown operator \`${op}\``);
        return undefined;
      }
      const atom = op === '$regex' ? regex(ctx, read, operand, [...p, op]) : compare(ctx, read, op, operand, [...p, op]);
      if (atom === undefined) return undefined;
      parts.push(atom);
      // Portkey returns at `$regex` (ConditionalRouter.evaluateOperator): operators after it are never checked.
      if (op === '$regex' && o < ops.length - 1) {
        note(
          [...p, op],
          `Portkey answers this key at \`$regex\` and never checks the operators after it (${ops
            .slice(o + 1)
            .map(([after]) => `\`${after}\``)
            .join(', ')}): imported the same way`,
          'note',
        );
        break;
      }
    }
  }
  if (parts.length === 0) return 'true';
  return parts.length === 1 ? (parts[0] as string) : parts.join(' and ');
}

function compare(ctx: Ctx, key: string, op: string, operand: unknown, path: (string | number)[]): string | undefined {
  const values = op === '$in' || op === '$nin' ? operand : [operand];
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    ctx.notes.push({
      severity: 'error',
      ...ctx.pos(path),
      message: `\`${op}\` on \`${key}\` needs ${op === '$in' || op === '$nin' ? 'a non-empty list of' : ''} strings, numbers or booleans`,
    });
    return undefined;
  }
  if (ORDERING.has(op)) return ordering(ctx, key, op, values[0], path);
  const type = typeof values[0] === 'number' ? 'number' : typeof values[0] === 'boolean' ? 'bool' : 'string';
  if (!values.every((v) => typeof v === typeof values[0])) {
    ctx.notes.push({ severity: 'error', ...ctx.pos(path), message: `\`${op}\` on \`${key}\` mixes value types` });
    return undefined;
  }
  const known = ctx.fields.get(key);
  if (known && known.type !== type) {
    ctx.notes.push({ severity: 'error', ...ctx.pos(path), message: `\`${key}\` is compared with ${type} values here and ${known.type} values elsewhere` });
    return undefined;
  }
  const field = known?.field ?? ctx.names.id(key.replace('.', '_'), 'field');
  if (!known) ctx.fields.set(key, { field, type });
  if (type === 'number') {
    const bad = values.find((v) => numberLiteral(v as number) === undefined);
    if (bad !== undefined) return unsupportedNumber(ctx, key, op, operand, path);
  }
  const lit = (v: unknown) => (typeof v === 'string' ? str(v) : String(v));
  const guard = `${str(key)} in present`;
  const test = (() => {
    switch (op) {
      case '$eq':
        return `${field} == ${lit(values[0])}`;
      case '$ne':
        return `${field} != ${lit(values[0])}`;
      case '$in':
        return type === 'string' ? `${field} in [${values.map(lit).join(', ')}]` : `(${values.map((v) => `${field} == ${lit(v)}`).join(' or ')})`;
      default:
        return type === 'string' ? `${field} not in [${values.map(lit).join(', ')}]` : values.map((v) => `${field} != ${lit(v)}`).join(' and ');
    }
  })();
  // Portkey compares the missing value (undefined) as it is: `$ne` and `$nin` hold on a
  // request without the key (or with a value of another type), every other operator fails.
  return op === '$ne' || op === '$nin' ? `(not (${guard}) or ${test})` : `(${guard} and ${test})`;
}

/**
 * `$gt`/`$gte`/`$lt`/`$lte`, as Portkey evaluates them: `parseFloat(value) > parseFloat(operand)`.
 * The request's value is read through `parseFloat` into a field of its own (metadata values
 * are strings in Portkey: `"75"` is 75); an operand written as a string is parsed the same way,
 * and one that is not a number makes the comparison fail on every request.
 */
function ordering(ctx: Ctx, key: string, op: string, operand: unknown, path: (string | number)[]): string | undefined {
  const n = Number.parseFloat(operand as string);
  if (Number.isNaN(n)) {
    ctx.notes.push({
      severity: 'finding',
      ...ctx.pos(path),
      message: `\`${op}: ${JSON.stringify(operand)}\` is not a number: Portkey compares parseFloat of it (NaN), so this condition never holds; imported as false`,
    });
    return 'false';
  }
  if (typeof operand === 'string')
    ctx.notes.push({
      severity: 'note',
      ...ctx.pos(path),
      message: `\`${op}: ${JSON.stringify(operand)}\`: Portkey compares it as the number ${n} (parseFloat); imported so`,
    });
  const fieldKey = `${PARSED}${key})`;
  const field = viewField(ctx, fieldKey, `${key.replace('.', '_')}_number`, 'number');
  const bound = numberLiteral(n);
  if (bound === undefined) return unsupportedNumber(ctx, key, op, operand, path);
  const symbol = op === '$gt' ? '>' : op === '$gte' ? '>=' : op === '$lt' ? '<' : '<=';
  return `(${str(fieldKey)} in present and ${field} ${symbol} ${bound})`;
}

/**
 * `$regex`, as Portkey evaluates it: `new RegExp(pattern).test(value)`, the value coerced to a
 * string ("undefined" when the key is missing). A policy has no regular expressions: a pattern
 * of literal characters becomes `contains`, one anchored at both ends `==`; any other is refused.
 */
function regex(ctx: Ctx, key: string, pattern: unknown, path: (string | number)[]): string | undefined {
  const refuse = (why: string): undefined => {
    ctx.notes.push({ severity: 'error', ...ctx.pos(path), message: `\`${key}\` \`$regex: ${JSON.stringify(pattern)}\`: ${why}` });
    return undefined;
  };
  if (typeof pattern !== 'string') return refuse('the pattern must be a string');
  const anchored = pattern.startsWith('^') && pattern.endsWith('$') && pattern.length >= 2 && !pattern.endsWith('\\$');
  const body = anchored ? pattern.slice(1, -1) : pattern;
  // Literal characters, and metacharacters escaped with a backslash.
  if (!/^(?:[^\\^$.|?*+()[\]{}]|\\[\\^$.|?*+()[\]{}/-])*$/.test(body))
    return refuse('a policy has no regular expressions: only a literal pattern (`contains`) or one anchored as `^…$` (`==`) is imported');
  const literal = body.replace(/\\(.)/g, '$1');
  const fieldKey = `${TEXT}${key})`;
  const field = viewField(ctx, fieldKey, `${key.replace('.', '_')}_text`, 'string');
  ctx.notes.push({
    severity: 'note',
    ...ctx.pos(path),
    message: `\`$regex: ${JSON.stringify(pattern)}\` imported as \`${anchored ? '==' : 'contains'}\` on the value as a string (as Portkey tests it: a missing key is "undefined")`,
  });
  return anchored ? `${field} == ${str(literal)}` : `${field} contains ${str(literal)}`;
}

/** The input field of a view of a key's value (`parseFloat(…)`, `String(…)`): declared on first use, then reused. */
function viewField(ctx: Ctx, fieldKey: string, name: string, type: 'number' | 'string'): string {
  const known = ctx.fields.get(fieldKey);
  if (known) return known.field;
  const field = ctx.names.id(name, 'field');
  ctx.fields.set(fieldKey, { field, type });
  return field;
}

/** A number as a policy writes it (a non-negative decimal without an exponent), or undefined when it cannot be written. */
function numberLiteral(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const text = String(n);
  return /^[0-9]+(\.[0-9]+)?$/.test(text) ? text : undefined;
}

function unsupportedNumber(ctx: Ctx, key: string, op: string, operand: unknown, path: (string | number)[]): undefined {
  ctx.notes.push({
    severity: 'error',
    ...ctx.pos(path),
    message: `\`${key}\` \`${op}: ${JSON.stringify(operand)}\`: a policy compares with non-negative decimal numbers, so this condition cannot be imported`,
  });
  return undefined;
}

/** A leaf target: a provider and a model. */
function leaf(ctx: Ctx, node: Record<string, unknown>, path: (string | number)[], options: Inherited): string | undefined {
  const override = isRecord(node.override_params) ? node.override_params : {};
  const written = typeof override.model === 'string' ? override.model : undefined;
  // Portkey's model catalog: `"model": "@slug/model"` names the provider (an integration's
  // slug) in the model, with no `provider` key.
  const catalog = written !== undefined && typeof node.provider !== 'string' ? /^@([^/]+)\/(.+)$/.exec(written) : null;
  const virtualKey = typeof node.virtual_key === 'string' ? node.virtual_key : undefined;
  // A prompt template (`prompt_id`): Portkey's app holds its model and provider, not the config.
  const promptId = typeof node.prompt_id === 'string' && node.prompt_id !== '' ? node.prompt_id : undefined;
  // A target with no provider of its own that Portkey's config schema still accepts (it sets
  // `retry`, `request_timeout` or `cache`; `{"retry": {"attempts": 3}}` is a whole config
  // often written so) passes the request through to the provider the request names.
  const passthrough = ['retry', 'request_timeout', 'cache'].some((k) => node[k] !== undefined);
  const provider =
    typeof node.provider === 'string'
      ? node.provider
      : catalog
        ? (catalog[1] as string)
        : virtualKey !== undefined
          ? 'portkey-virtual-key'
          : promptId !== undefined
            ? 'portkey-prompt'
            : passthrough
              ? 'portkey-request'
              : undefined;
  if (!provider) {
    ctx.notes.push({
      severity: 'error',
      ...ctx.pos(path),
      message: 'a target needs a `provider`, a `virtual_key`, a catalog model (`"model": "@provider/model"`), a `prompt_id`, or a `strategy` with `targets`',
    });
    return undefined;
  }
  const model = catalog ? (catalog[2] as string) : written;
  // Each virtual key is its own deployment (its own account, limits and keys): distinct keys
  // stay distinct models even for one model id.
  const label =
    typeof node.name === 'string' ? node.name : `${virtualKey ?? (model === undefined ? promptId : undefined) ?? provider}${model ? `/${model}` : ''}`;
  const key = `${label}\u0000${provider}\u0000${model ?? ''}\u0000${virtualKey ?? ''}\u0000${promptId ?? ''}`;
  const existing = [...ctx.targets.entries()].find(([, v]) => v === key);
  let name: string;
  if (existing) name = existing[0];
  else {
    // Two targets can share a name (`name` in nested strategies) and not a deployment.
    name = ctx.names.id(label, 'model', true);
    ctx.targets.set(name, key);
    ctx.places.set(name, ctx.pos(path));
    if (provider === 'portkey-request' && !model)
      ctx.notes.push({
        severity: 'note',
        ...ctx.pos(path),
        message: `${path.length === 0 ? 'the config' : `target \`${label}\``} names no provider: Portkey passes the request through to the provider and model the request names (its \`x-portkey-provider\` header and \`model\`); imported as provider "portkey-request", id "${label}": set the real ones`,
      });
    else if (promptId !== undefined && !model)
      ctx.notes.push({
        severity: 'note',
        ...ctx.pos(path),
        message: `target \`${label}\` is the prompt template \`${promptId}\`: its model and provider live in Portkey, not in the config; imported as provider "portkey-prompt", id "${promptId}": set the real ones`,
      });
    else if (!model)
      ctx.notes.push({
        severity: 'note',
        ...ctx.pos(path),
        message: `target \`${label}\` sets no \`override_params.model\`: the request's model is used; imported with the id "${label}"`,
      });
    ctx.models.push(
      [
        `// ${ctx.pos(path).path || 'the config'} (line ${ctx.pos(path).line})${virtualKey !== undefined ? `, Portkey virtual key ${JSON.stringify(virtualKey)}` : catalog ? `, Portkey model catalog ${JSON.stringify(written)}` : promptId !== undefined ? `, Portkey prompt template ${JSON.stringify(promptId)}` : ''}`,
        `model ${name} {`,
        `  provider = ${str(provider)}`,
        `  id       = ${str(model ?? promptId ?? label)}`,
        '  price    = { input: $0 per 1M, output: $0 per 1M }',
        '  context  = 128000',
        '}',
      ].join('\n'),
    );
  }
  const opts = [
    ...(options.timeoutMs !== undefined ? [`timeout: ${duration(options.timeoutMs / 1000)}`] : []),
    ...(options.retries !== undefined && options.retries > 0 ? [`retries: ${options.retries}`] : []),
  ];
  return opts.length > 0 ? `${name} with { ${opts.join(', ')} }` : name;
}

/** Portkey's `on_status_codes` as a policy's `on [...]` statuses: the HTTP error statuses (400–599), once each; the rest is noted. */
function statusCodes(codes: readonly unknown[], note: (message: string) => void): number[] {
  const out: number[] = [];
  const lost: string[] = [];
  for (const c of codes) {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 400 && c <= 599) {
      if (!out.includes(c)) out.push(c);
    } else lost.push(JSON.stringify(c));
  }
  if (lost.length > 0) note(`${lost.join(', ')}: not an HTTP error status (400–599) a policy can fall back on; not imported`);
  return out;
}
