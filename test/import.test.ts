// routelang import: golden policies and findings for every fixture under test/import/,
// bad input that must become a diagnostic (never a crash), and a differential test of
// Portkey conditional routing: a model of Portkey's documented condition semantics (below)
// against the imported policy's decide(), on random configurations and requests.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConditionalRouter } from '../bench/portkey-router.js';
import { main } from '../packages/dsl/src/cli/main.js';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { format } from '../packages/dsl/src/format.js';
import { importLiteLLM } from '../packages/dsl/src/import/litellm.js';
import { importPortkey, type PortkeyImport, toRoutelangRequest } from '../packages/dsl/src/import/portkey.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { Router } from '../packages/runtime/src/index.js';
import { ROOT } from './support/fixtures.js';

const FIXTURES = join(ROOT, 'test', 'import');

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), color: false, version: 'test' });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('golden imports (test/import/<kind>/<name> → .expected.route and .expected.txt)', () => {
  for (const kind of ['litellm', 'portkey'] as const) {
    for (const name of readdirSync(join(FIXTURES, kind)).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.includes('.expected'))) {
      it(`${kind}/${name}`, async () => {
        const file = `test/import/${kind}/${name}`;
        const dir = mkdtempSync(join(tmpdir(), 'routelang-import-'));
        const output = join(dir, 'policy.route');
        const r = await run(['import', kind, file, '-o', output]);
        const base = join(FIXTURES, kind, name.replace(/\.(ya?ml|json)$/, ''));
        await expect(`exit ${r.status}\n${r.err}\n`).toMatchFileSnapshot(`${base}.expected.txt`);
        if (r.status !== 2) {
          const policy = readFileSync(output, 'utf8');
          await expect(policy).toMatchFileSnapshot(`${base}.expected.route`);
          // The generated policy is a valid policy (findings are warnings, never errors).
          const path = '/virtual/imported.route';
          const checked = compilePolicy(path, nodeHost(new Map([[path, policy]])));
          expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          // …and already canonical: `routelang fmt --check` passes on what the user checks in.
          expect(format(policy, output)).toEqual({ ok: true, text: policy });
        }
      });
    }
  }

  it('the LiteLLM findings speak in the configuration’s terms', async () => {
    const r = await run(['import', 'litellm', 'test/import/litellm/fallback-cycle.yaml', '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out) as { findings: { message: string; line: number }[] };
    expect(doc.findings.map((f) => f.message)).toContain('fallback cycle gpt-4-turbo → gpt-4 → claude → gpt-4-turbo');
    expect(doc.findings.map((f) => f.message)).toContain('fallback `gpt-4` (8,192-token window) can receive up to 128,000 tokens from `gpt-4-turbo`');
    expect(doc.findings.find((f) => f.message.startsWith('fallback cycle'))?.line).toBe(36);
  });
});

describe('bad input becomes a diagnostic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routelang-import-bad-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const MODEL = 'model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n';

  it('duplicate keys: exit 2 with the line', async () => {
    const r = await run(['import', 'litellm', write('dup.yaml', `${MODEL}router_settings:\n  num_retries: 1\n  num_retries: 2\n`)]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/dup\.yaml:7:\d+: error: Map keys must be unique/);
  });

  it('an alias bomb is refused, not expanded', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      bomb.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(9)
          .fill(`*${i === 1 ? 'a' : 'b'.repeat(i - 1)}`)
          .join(',')}]`,
      );
    const r = await run(['import', 'litellm', write('bomb.yaml', `${bomb.join('\n')}\n${MODEL}`)]);
    expect(r.status).toBe(2);
    expect(r.err).toContain('error');
  });

  it('environment references stay references; a literal key is a finding and is never printed', async () => {
    const text = `model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      api_key: sk-live-SECRET\n  - model_name: b\n    litellm_params:\n      model: openai/b\n      api_key: os.environ/B_KEY\n`;
    const r = await run(['import', 'litellm', write('keys.yaml', text)]);
    expect(r.status).toBe(1);
    expect(`${r.out}${r.err}`).not.toContain('SECRET');
    expect(`${r.out}${r.err}`).not.toContain('B_KEY');
    expect(r.err).toContain('`api_key` is written in the configuration');
  });

  it('unknown keys are reported, not dropped silently', async () => {
    const r = await run(['import', 'litellm', write('unknown.yaml', `${MODEL}router_settings:\n  routing_stratgy: latency-based-routing\n`)]);
    expect(r.err).toContain('unknown key `router_settings.routing_stratgy`');
  });

  it('not a configuration: exit 2 with the position', async () => {
    expect((await run(['import', 'portkey', write('array.json', '[1, 2]')])).status).toBe(2);
    const broken = await run(['import', 'portkey', write('broken.json', '{\n  "strategy": {"mode": "fallback"},\n  "targets": [\n}')]);
    expect(broken.status).toBe(2);
    expect(broken.err).toMatch(/broken\.json:4:\d+: error: not JSON/);
    const mode = await run(['import', 'portkey', write('mode.json', '{"strategy": {"mode": "random"}, "targets": [{"provider": "openai"}]}')]);
    expect(mode.status).toBe(2);
    expect(mode.err).toContain('unknown strategy mode `random`');
    expect((await run(['import', 'litellm', write('scalar.yaml', 'just a string\n')])).status).toBe(2);
    expect((await run(['import', 'litellm', write('nolist.yaml', 'router_settings: {}\n')])).status).toBe(2);
  });

  it('a 10 MB configuration imports (or is refused) without crashing', async () => {
    const entries: string[] = ['model_list:'];
    for (let i = 0, size = 0; size < 10 * 1024 * 1024; i++) {
      const entry = `  - model_name: m${i % 50}\n    litellm_params:\n      model: openai/m${i}\n      rpm: ${100 + (i % 7)}\n    model_info:\n      max_input_tokens: 8192`;
      entries.push(entry);
      size += entry.length + 1;
    }
    const file = write('big.yaml', `${entries.join('\n')}\n`);
    const r = await run(['import', 'litellm', file, '--format', 'json']);
    expect([0, 1, 2]).toContain(r.status);
  }, 120_000);
});

// ---------------------------------------------------------------- Portkey differential test

/**
 * Portkey's conditional routing is Portkey's own code: the `ConditionalRouter` class of the
 * installed @portkey-ai/gateway, cut out of its bundle unchanged (bench/portkey-router.js),
 * constructed per request as the gateway does with `{ metadata, params }`.
 */
const ConditionalRouter = loadConditionalRouter();
function portkeyRoute(config: unknown, request: PortkeyRequest): string | undefined {
  return new ConditionalRouter(config, request).resolveTarget().name;
}
type Query = { [key: string]: unknown };
interface PortkeyRequest {
  metadata: Record<string, unknown>;
  params: Record<string, unknown>;
  url?: { pathname?: string };
}

const PLANS = ['free', 'pro', 'team'];
const REGIONS = ['eu', 'us', 'apac'];
const arbString = (key: string, values: string[]) =>
  fc.oneof(
    fc.constantFrom(...values).map((v) => ({ [key]: { $eq: v } })),
    fc.constantFrom(...values).map((v) => ({ [key]: { $ne: v } })),
    fc.constantFrom(...values).map((v) => ({ [key]: v })),
    fc.subarray(values, { minLength: 1 }).map((v) => ({ [key]: { $in: v } })),
    fc.subarray(values, { minLength: 1 }).map((v) => ({ [key]: { $nin: v } })),
  );
const arbNumber = fc
  .tuple(
    fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'),
    fc.integer({ min: 0, max: 4 }).map((n) => n * 1000),
  )
  .map(([op, n]) => ({ 'params.max_tokens': { [op]: op === '$in' || op === '$nin' ? [n, n + 1000] : n } }));
// Ordering operators as Portkey evaluates them, through parseFloat on both sides: metadata
// values are strings ("75"), operands may be strings too ("50", "50abc"), and one that is not a
// number ("high") fails every request.
const arbParsed = fc
  .tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), fc.constantFrom(0, 25, 50, 62.5, 100, '50', '50abc', '0.5e2', 'high'))
  .map(([op, operand]) => ({ 'metadata.score': { [op]: operand } }));
// A key of three segments: Portkey reads two (`metadata.org`), whatever the third says.
// `$regex` on the value as a string ("undefined" when missing, "7" for 7), returning at once:
// operators after it in the same object are never checked.
const arbRegex = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('metadata.plan', 'url.pathname'),
      fc.constantFrom('pro', '^pro$', 'ee', 'und', '^free$', '7', 'chat', '^/v1/chat/completions$', 'v1\\/c'),
    )
    .map(([key, pattern]) => ({ [key]: { $regex: pattern } })),
  fc.constantFrom({ 'metadata.plan': { $regex: 'r', $eq: 'free' } }, { 'metadata.plan': { $eq: 'pro', $regex: 'r' } }),
  fc.constantFrom('/v1/chat/completions', '/v1/completions').map((path) => ({ 'url.pathname': path })),
);
const arbLeaf = fc.oneof(
  arbString('metadata.plan', PLANS),
  arbString('metadata.region', REGIONS),
  arbNumber,
  arbParsed,
  arbRegex,
  arbString('metadata.org.tier', ['gold', 'silver']),
);
const arbQuery: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf,
    fc.array(tie('q'), { minLength: 0, maxLength: 3 }).map((qs) => ({ $and: qs })),
    fc.array(tie('q'), { minLength: 0, maxLength: 3 }).map((qs) => ({ $or: qs })),
    fc.tuple(arbLeaf, arbLeaf).map(([a, b]) => ({ ...a, ...b })),
    // Keys before and after a logical key: Portkey answers at the logical key.
    fc
      .tuple(arbLeaf, fc.array(tie('q'), { maxLength: 2 }), arbLeaf, fc.boolean())
      .map(([a, qs, b, or]) => ({ ...a, [or ? '$or' : '$and']: qs, ...b })),
  ),
})).q;
const TARGETS = ['t1', 't2', 't3', 't4'];
const arbConfig = fc.record({
  strategy: fc.record({
    mode: fc.constant('conditional'),
    // Portkey's own key name is `then` (a plain data key here, not a thenable).
    // biome-ignore lint/suspicious/noThenProperty: Portkey's condition format
    conditions: fc.array(fc.record({ query: arbQuery, then: fc.constantFrom(...TARGETS) }), { minLength: 1, maxLength: 4 }),
    default: fc.constantFrom(...TARGETS),
  }),
  targets: fc.constant(TARGETS.map((name) => ({ name, provider: 'openai', override_params: { model: `model-${name}` } }))),
});
// Values of the wrong JSON type too (a number where the conditions compare strings, a
// boolean, null): Portkey compares them as they are.
const arbRequest = fc.record(
  {
    url: fc.record({ pathname: fc.constantFrom('/v1/chat/completions', '/v1/completions') }, { requiredKeys: [] }),
    metadata: fc.record(
      {
        plan: fc.oneof(fc.constantFrom(...PLANS, 'other'), fc.constantFrom(7, true, null)),
        region: fc.constantFrom(...REGIONS, 3),
        org: fc.constantFrom('gold', 'silver', { tier: 'gold' }, { tier: 'silver' }),
        score: fc.constantFrom('75', '50', '62.5', '7.5e1', '40abc', 'abc', '', ' 30', 'Infinity', '-3', 60, 50, true, null, [55]),
      },
      { requiredKeys: [] },
    ),
    params: fc.record(
      {
        max_tokens: fc.oneof(
          fc.integer({ min: 0, max: 5 }).map((n) => n * 1000 - (n % 2) * 500),
          fc.constantFrom(true, null, '1500', '2000', '3000.5x'),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['metadata', 'params'] },
);

describe('Portkey conditional routing: imported decide() agrees with Portkey’s own ConditionalRouter', () => {
  it('on random configurations and requests (missing keys included)', async () => {
    await fc.assert(
      fc.asyncProperty(arbConfig, fc.array(arbRequest, { minLength: 20, maxLength: 20 }), async (config, requests) => {
        const imported: PortkeyImport = importPortkey(JSON.stringify(config), 'random.json');
        expect(imported.policy, JSON.stringify(imported.notes)).toBeDefined();
        expect(format(imported.policy as string)).toEqual({ ok: true, text: imported.policy });
        const path = '/virtual/portkey.route';
        const compiled = compilePolicy(path, nodeHost(new Map([[path, imported.policy as string]])));
        expect(compiled.ir, compiled.diagnostics.map((d) => d.message).join('\n')).toBeDefined();
        const router = await Router.load(compiled.ir, { tokenizer: () => 1 });
        const byModel = new Map([...imported.names].map(([id, original]) => [id, original]));
        for (const request of requests) {
          const want = portkeyRoute(config, request);
          const decision = router.decide(toRoutelangRequest(imported, { prompt: 'hi', ...request }));
          expect(decision.ok).toBe(true);
          const got = decision.ok ? byModel.get(decision.first ?? '') : undefined;
          expect(got, JSON.stringify({ query: config.strategy.conditions, request })).toBe(want);
        }
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});

describe('importPortkey', () => {
  it('refuses a regular expression a policy cannot state, naming the key and the pattern', () => {
    // Portkey's config as text: its condition key `then` is data, not a thenable.
    const r = importPortkey(
      '{"strategy":{"mode":"conditional","conditions":[{"query":{"metadata.user_id":{"$regex":"^internal-"}},"then":"a"}],"default":"a"},"targets":[{"name":"a","provider":"openai","override_params":{"model":"m"}}]}',
    );
    expect(r.policy).toBeUndefined();
    expect(r.notes.filter((n) => n.severity === 'error').map((n) => n.message)).toEqual([
      '`metadata.user_id` `$regex: "^internal-"`: a policy has no regular expressions: only a literal pattern (`contains`) or one anchored as `^…$` (`==`) is imported',
    ]);
  });
});

describe('importLiteLLM', () => {
  it('weights load-balanced deployments and keeps every group reachable', () => {
    const r = importLiteLLM(
      'model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, weight: 1 }\n  - model_name: a\n    litellm_params: { model: azure/x, weight: 2 }\n  - model_name: b\n    litellm_params: { model: openai/y }\n',
    );
    expect(r.policy).toContain('split by request_id { a_1: 33%, a_2: 67% }');
    expect(r.policy).toContain('when model_name == a -> ');
    expect(r.policy).toContain('otherwise -> b');
  });

  it('a configuration with only wildcards and embeddings has nothing to import: an error, not an empty policy', () => {
    const r = importLiteLLM(
      'model_list:\n  - model_name: "*"\n    litellm_params: { model: "openai/*" }\n  - model_name: e\n    litellm_params: { model: openai/text-embedding-3-small }\n    model_info: { mode: embedding }\n',
    );
    expect(r.policy).toBeUndefined();
    expect(r.notes.filter((n) => n.severity === 'error').map((n) => n.message)).toEqual([
      'no deployment can be imported: every one is a wildcard or not a chat model',
    ]);
  });

  it('a wildcard in `fo::*:static::*` form matches as LiteLLM globs do, and only those names', () => {
    const r = importLiteLLM(
      'model_list:\n  - model_name: a\n    litellm_params: { model: openai/a }\n  - model_name: "fo::*:static::*"\n    litellm_params: { model: "openai/fo::*:static::*" }\nrouter_settings:\n  fallbacks:\n    - a: ["fo::hi:static::x", "fo::hi:dynamic::x"]\n',
    );
    const messages = r.notes.map((n) => `${n.severity}: ${n.message}`);
    expect(messages).toContain(
      'note: fallbacks: the fallback `fo::hi:static::x` of `a` is served by the wildcard `fo::*:static::*`, which is not imported: left out',
    );
    expect(messages).toContain(
      'finding: fallbacks: the fallback `fo::hi:dynamic::x` of `a` is not a model_name of model_list: LiteLLM fails the request there',
    );
  });
});

describe('import portkey: nested conditionals', () => {
  it('share a nested conditional named several times: output linear in the depth (it tripled per level)', () => {
    // Each level names its inner target from two conditions and the default.
    const nested = (depth: number): unknown => {
      let node: unknown = { provider: 'openai', override_params: { model: 'gpt-4o' } };
      for (let i = 0; i < depth; i++) {
        node = {
          strategy: {
            mode: 'conditional',
            conditions: [`t${i}`, 'y'].map((value) => ({
              query: { 'metadata.tier': { $eq: value } },
              // biome-ignore lint/suspicious/noThenProperty: Portkey's condition format
              then: 'inner',
            })),
            default: 'inner',
          },
          targets: [{ name: 'inner', ...(node as object) }],
        };
      }
      return node;
    };
    for (const depth of [1, 10, 40]) {
      const result = importPortkey(JSON.stringify(nested(depth)));
      expect(result.policy, `depth ${depth}`).toBeDefined();
      // Counted work: one named route per nested level, whatever the number of mentions.
      expect(result.policy?.match(/^route conditional_\d+ \{/gm)?.length ?? 0, `depth ${depth}`).toBe(depth - 1);
    }
  });
});
