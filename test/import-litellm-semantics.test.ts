// LiteLLM's router is Python and cannot run here, so each construct the importer translates
// is held to what LiteLLM's documentation (or, where the docs are silent, its source) says it
// does — cited per case — by deciding requests with the imported policy: which deployments a
// request can reach, in which order, and in what shares.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { importLiteLLM } from '../packages/dsl/src/import/litellm.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { Router } from '../packages/runtime/src/index.js';

interface Imported {
  readonly router: Router;
  readonly notes: readonly { severity: string; message: string; line: number }[];
  /** Model name in the policy → the deployment's model id. */
  readonly ids: ReadonlyMap<string, string>;
  /** Whether the policy splits by `request_id` (it has the field only then). */
  readonly splits: boolean;
}

async function load(yaml: string): Promise<Imported> {
  const imported = importLiteLLM(yaml, 'config.yaml');
  if (imported.policy === undefined) throw new Error(JSON.stringify(imported.notes));
  const path = '/virtual/litellm.route';
  const compiled = compilePolicy(path, nodeHost(new Map([[path, imported.policy]])));
  if (!compiled.ir) throw new Error(compiled.diagnostics.map((d) => d.message).join('\n'));
  return {
    router: await Router.load(compiled.ir, { tokenizer: () => 10 }),
    notes: imported.notes,
    ids: new Map(compiled.ir.models.map((m) => [m.name, m.id])),
    splits: imported.policy.includes('request_id'),
  };
}

/** The deployment ids a request can be sent to, in the order a run tries them. */
function reach(r: Imported, request: Record<string, unknown>): readonly string[] {
  const d = r.router.decide({ prompt: 'hi', ...(r.splits ? { request_id: 'r' } : {}), ...request });
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  return d.models.map((m) => r.ids.get(m) ?? m);
}

/** The share of requests each deployment serves first, over `n` fresh request ids. */
function shares(r: Imported, request: Record<string, unknown>, n = 4_000): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const d = r.router.decide({ prompt: 'hi', ...request, ...(r.splits ? { request_id: randomUUID() } : {}) });
    if (!d.ok) throw new Error(JSON.stringify(d.errors));
    const id = r.ids.get(d.first ?? '') ?? '?';
    counts[id] = (counts[id] ?? 0) + 1 / n;
  }
  return counts;
}

const deployment = (group: string, model: string, params = '', info = 'max_input_tokens: 128000') => `  - model_name: ${group}
    litellm_params:
      model: ${model}
      api_key: os.environ/KEY${params ? `\n      ${params.split('\n').join('\n      ')}` : ''}
    model_info:
      ${info}`;

describe('LiteLLM constructs, held to LiteLLM’s documented behaviour', () => {
  it('`order`: the lowest order serves; the next order only when it fails (docs.litellm.ai/docs/router/learn/selection, "how order sets priority inside a model group"; LiteLLM issue 18444 quotes the docs: "lower order values should have higher priority, and requests should only fall back to higher order values when the primary deployment is unavailable")', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-primary', 'order: 1')}
${deployment('gpt', 'openai/gpt-backup', 'order: 2')}
`);
    expect(reach(r, { model_name: 'gpt' })).toEqual(['gpt-primary', 'gpt-backup']);
    expect(shares(r, { model_name: 'gpt' }, 500)).toEqual({ 'gpt-primary': expect.closeTo(1, 6) });
  });

  it('tags: "tags: ["default"] # OPTIONAL - All untagged requests will get routed to this" (docs.litellm.ai/docs/proxy/tag_routing); a tagged request goes to its tag', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-free', 'tags: ["free"]')}
${deployment('gpt', 'openai/gpt-paid', 'tags: ["paid"]')}
${deployment('gpt', 'openai/gpt-default', 'tags: ["default"]')}
router_settings:
  enable_tag_filtering: true
`);
    expect(reach(r, { model_name: 'gpt' })).toEqual(['gpt-default']);
    expect(reach(r, { model_name: 'gpt', tags: ['free'] })).toEqual(['gpt-free']);
    expect(reach(r, { model_name: 'gpt', tags: ['paid'] })).toEqual(['gpt-paid']);
  });

  it('simple-shuffle with `weight`: "If weights are provided, it will return a deployment based on the weights" — a weighted random pick (litellm/router_strategy/simple_shuffle.py)', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-a', 'weight: 3')}
${deployment('gpt', 'openai/gpt-b', 'weight: 1')}
`);
    const s = shares(r, { model_name: 'gpt' });
    expect(s['gpt-a']).toBeCloseTo(0.75, 1);
    expect(s['gpt-b']).toBeCloseTo(0.25, 1);
  });

  it('simple-shuffle reads the key the FIRST deployment sets, and a deployment without it weighs 0 ("weights = [m["litellm_params"].get("weight", 0) …]", simple_shuffle.py): never picked, with a note', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-a', 'weight: 2')}
${deployment('gpt', 'openai/gpt-b', 'rpm: 600')}
${deployment('gpt', 'openai/gpt-c', 'weight: 2')}
`);
    const s = shares(r, { model_name: 'gpt' });
    expect(s['gpt-b']).toBeUndefined();
    expect(s['gpt-a']).toBeCloseTo(0.5, 1);
    expect(r.notes.map((n) => n.message).join('\n')).toMatch(/`gpt` \(deployment 2, openai\/gpt-b\): never picked: simple-shuffle weighs by `weight`/);
  });

  it('simple-shuffle by `rpm` when the first deployment sets rpm and no weight ("If users pass `rpm` or `tpm`, we do a random weighted pick - based on `rpm`/`tpm`")', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-a', 'rpm: 900')}
${deployment('gpt', 'openai/gpt-b', 'rpm: 100')}
`);
    const s = shares(r, { model_name: 'gpt' });
    expect(s['gpt-a']).toBeCloseTo(0.9, 1);
  });

  it('a weight written as a string: simple_shuffle sums the weights with Python’s sum(), which fails on a string — a finding in the configuration', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-a', 'weight: "2"')}
${deployment('gpt', 'openai/gpt-b', 'weight: 2')}
`);
    const finding = r.notes.find((n) => n.severity === 'finding');
    expect(finding?.message).toMatch(/`weight` is a string \("2"\)/);
    expect(finding?.line).toBe(6);
  });

  it('wildcard groups pass the requested name through ("model_name: "anthropic/*" … all anthropic models", docs.litellm.ai/docs/wildcard_routing): a policy names each model it serves, so they are noted with their line and left out, and such a request is refused by name', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-4o')}
  - model_name: "anthropic/*"
    litellm_params:
      model: "anthropic/*"
      api_key: os.environ/ANTHROPIC_API_KEY
`);
    const note = r.notes.find((n) => /anthropic\/\*/.test(n.message));
    expect(note).toMatchObject({ severity: 'note', line: 8 });
    const d = r.router.decide({ prompt: 'hi', model_name: 'anthropic/claude-3-5-sonnet' });
    expect(d.ok).toBe(false);
    expect(d.ok ? [] : d.errors.map((e) => e.field)).toEqual(['model_name']);
    expect(reach(r, { model_name: 'gpt' })).toEqual(['gpt-4o']);
  });

  it('session and deployment affinity (`optional_pre_call_checks`, docs.litellm.ai/docs/proxy/auto_routing#session-affinity) keep a caller on one deployment: noted, with what to change in the split', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-a', 'weight: 1')}
${deployment('gpt', 'openai/gpt-b', 'weight: 1')}
router_settings:
  optional_pre_call_checks: ["session_affinity"]
`);
    expect(r.notes.find((n) => n.message.includes('`session_affinity`'))?.message).toMatch(/split by the field that names the session/);
  });

  it('`fallbacks`: "If a call fails after num_retries, fall back to another model group" (docs.litellm.ai/docs/proxy/reliability): the group, then its fallback groups in order', async () => {
    const r = await load(`model_list:
${deployment('gpt', 'openai/gpt-4o')}
${deployment('claude', 'anthropic/claude-3-5-sonnet')}
${deployment('mini', 'openai/gpt-4o-mini')}
router_settings:
  fallbacks: [{ "gpt": ["claude", "mini"] }]
`);
    expect(reach(r, { model_name: 'gpt' })).toEqual(['gpt-4o', 'claude-3-5-sonnet', 'gpt-4o-mini']);
    expect(reach(r, { model_name: 'mini' })).toEqual(['gpt-4o-mini']);
  });
});
