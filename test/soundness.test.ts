// The false-proof hunt: what `check` calls proved must be true. For each random policy
// (test/support/hunt.ts) the checker's claims are read off its diagnostics —
//   an assertion with no RL3004/RL3009 is proved for every model on every path,
//   a rule with RL3001/RL3002 is unreachable,
//   an entry rule with no RL3006 keeps the per-request budget,
//   a route with no `otherwise` and no RL3003/RL3009 matches every request that reaches it —
// and each is tested on many requests by the reference interpreter (AST walk, no diagrams).
// Refutations too: the request an RL3003, RL3004 or RL3006 shows must do what it says.
// A request that breaks a claim is a false proof: the test prints the policy and the request.
// CI hunts ROUTELANG_HUNT_POLICIES (default 10,000) policies; `pnpm hunt` a million
// (ROUTELANG_HUNT_SEED=10001 pnpm hunt explores past the seeds CI covers).

import { describe, expect, it } from 'vitest';
import { analyze } from '../packages/dsl/src/analyze/index.js';
import type * as A from '../packages/dsl/src/ast.js';
import { checkPolicy, compilePolicy } from '../packages/dsl/src/compile.js';
import { compileRoutes, firstMatch } from '../packages/dsl/src/graph/compile.js';
import { TRUE } from '../packages/dsl/src/graph/diagram.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { Router } from '../packages/runtime/src/index.js';
import { Rng } from './support/generate.js';
import { assertionHolds, huntPolicy, huntRequests, huntTokens, reach } from './support/hunt.js';
import type { Scalar } from './support/interpreter.js';

interface HuntReport {
  policies: number;
  requests: number;
  /** Claims tested, by kind. */
  claims: { assertions: number; unreachable: number; budgets: number; coverage: number; decisions: number; refutations: number };
  /** Policies the checker found too large (RL3008) or could not decide somewhere (RL3009). */
  tooLarge: number;
  undecided: number;
  /** The first false proofs found, each with its policy and request. */
  falseProofs: string[];
  /** Every false proof found, counted by the kind of claim it broke. */
  byKind: Record<string, number>;
}

/** The hunt's token counter, remembering the last text (conditions ask many times). */
function counter(): (text: string) => number {
  let last: string | undefined;
  let count = 0;
  return (text) => {
    if (text !== last) {
      last = text;
      count = huntTokens(text);
    }
    return count;
  };
}

function hunt(firstSeed: number, policies: number, requestsPerPolicy: number): HuntReport {
  const report: HuntReport = {
    policies: 0,
    requests: 0,
    claims: { assertions: 0, unreachable: 0, budgets: 0, coverage: 0, decisions: 0, refutations: 0 },
    tooLarge: 0,
    undecided: 0,
    falseProofs: [],
    byKind: {},
  };
  const count = counter();
  for (let p = 0; p < policies; p++) {
    const seed = firstSeed + p;
    const generated = huntPolicy(seed);
    const path = `/virtual/hunt-${seed}.route`;
    const result = compilePolicy(path, nodeHost(new Map([[path, generated.text]])));
    report.policies++;
    const front = result.diagnostics.filter((d) => d.severity === 'error' && !d.code.startsWith('RL3'));
    if (front.length > 0) {
      report.byKind.generator = (report.byKind.generator ?? 0) + 1;
      report.falseProofs.push(`generator bug, seed ${seed}: ${front.map((d) => `${d.code} ${d.message}`).join('; ')}\n${generated.text}`);
      continue;
    }
    if (result.diagnostics.some((d) => d.code === 'RL3008')) {
      report.tooLarge++;
      continue;
    }
    if (result.diagnostics.some((d) => d.code === 'RL3009')) report.undecided++;
    const policy = result.policy;
    const source = result.program.modules.get(path)?.source;
    const lineOf = (offset: number): number => source?.position(offset).line ?? 0;
    const codesAt = new Map<number, Set<string>>();
    for (const d of result.diagnostics) {
      const line = lineOf(d.span.start);
      const set = codesAt.get(line) ?? new Set<string>();
      set.add(d.code);
      codesAt.set(line, set);
    }
    const at = (line: number, ...codes: string[]): boolean => codes.some((c) => codesAt.get(line)?.has(c));

    // Claims.
    const routes = [...(policy.entryRoute ? [policy.entryRoute] : []), ...policy.routes.values()];
    const unreachable = new Set<string>();
    const covered = new Set<string | null>();
    for (const route of routes) {
      route.node.rules.forEach((rule, i) => {
        if (at(lineOf(rule.span.start), 'RL3001', 'RL3002')) unreachable.add(`${route.name ?? ''}#${i}`);
      });
      const last = route.node.rules[route.node.rules.length - 1];
      if (last?.condition && !at(lineOf(route.node.keyword.start), 'RL3003', 'RL3009')) covered.add(route.name ?? null);
    }
    // RL3004/RL3009 on any rule: the assertion named in the message is not claimed.
    const refuted = result.diagnostics.filter((d) => d.code === 'RL3004' || d.code === 'RL3009').map((d) => d.message);
    const proved = policy.asserts.filter((a) => !refuted.some((m) => m.includes(`"${a.label}"`)));
    const limit = policy.budget?.perRequest;
    const entryRules = policy.entryRoute?.node.rules ?? [];
    const kept = new Set(entryRules.flatMap((rule, i) => (limit !== undefined && !at(lineOf(rule.plan.span.start), 'RL3006', 'RL3009') ? [i] : [])));
    report.claims.assertions += proved.length;
    report.claims.unreachable += unreachable.size;
    report.claims.budgets += kept.size;
    report.claims.coverage += covered.size;
    // The runtime, where the policy compiles: decide() must plan what the oracle reaches.
    const router = result.ir ? Router.loadSync(result.ir, count) : undefined;
    if (router) report.claims.decisions++;
    if (proved.length + unreachable.size + kept.size + covered.size === 0 && !router) continue;

    const brokenHere = new Set<string>();
    const broken = (kind: string, what: string, request: Record<string, Scalar>): void => {
      // Counted once per policy and claim; the first few are kept whole.
      if (brokenHere.has(what)) return;
      brokenHere.add(what);
      report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
      if (report.falseProofs.length < 5) report.falseProofs.push(`seed ${seed}: ${what}\nrequest ${JSON.stringify(request).slice(0, 400)}\n${generated.text}`);
    };
    // Refutations: the request a diagnostic shows must do what it says (a wrong witness is a
    // false alarm, and the same bug could hide a proof). Sizes given as notes
    // ("with 8001 ≤ prompt.tokens") are not part of the request: those are skipped.
    for (const d of result.diagnostics) {
      const request = d.counterexample as Record<string, Scalar> | undefined;
      if (!request || /\} with /.test(d.message)) continue;
      const r = reach(policy, request, count);
      if (d.code === 'RL3004') {
        const [, label, model] = /assertion "(.*?)" fails: .* to `([^`]+)`/.exec(d.message) ?? [];
        const assertion = policy.asserts.find((a) => a.label === label);
        report.claims.refutations++;
        if (!assertion || !model || !r.models.has(model) || assertionHolds(policy, assertion.node.expr as A.Expr, request, model, count)) {
          broken('refutation', `RL3004 says ${JSON.stringify(request)} breaks "${label}" at \`${model}\`, but it does not: ${d.message}`, request);
        }
      } else if (d.code === 'RL3003') {
        const named = /no rule of route `([^`]+)`/.exec(d.message)?.[1] ?? null;
        report.claims.refutations++;
        if (!r.unmatched.has(named))
          broken('refutation', `RL3003 says no rule of ${named ?? 'the entry route'} matches ${JSON.stringify(request)}, but one does`, request);
      } else if (d.code === 'RL3006') {
        const line = lineOf(d.span.start);
        const index = entryRules.findIndex((rule) => lineOf(rule.plan.span.start) === line);
        report.claims.refutations++;
        if (r.entryRule !== index) broken('refutation', `RL3006's example ${JSON.stringify(request)} is not decided by the rule on line ${line}`, request);
      }
    }

    const rng = new Rng(seed ^ 0x2545f491);
    for (const request of huntRequests(generated, rng, requestsPerPolicy)) {
      report.requests++;
      const r = reach(policy, request, count);
      if (router) {
        const d = router.decide(request);
        if (d.ok) {
          for (const step of d.path)
            if (!r.rules.has(`${step.route ?? ''}#${step.index}`))
              broken('decide', `decide() follows ${step.route ?? ''}#${step.index}, which the interpreter does not`, request);
          for (const m of d.models) if (!r.models.has(m)) broken('decide', `decide() plans ${m}, which the interpreter cannot reach`, request);
        } else if (!d.errors.every((e) => e.code === 'no_rule_matched') || r.unmatched.size === 0) {
          broken('decide', `decide() refused: ${JSON.stringify(d.errors)}`, request);
        }
      }
      for (const rule of r.rules) if (unreachable.has(rule)) broken('unreachable', `rule ${rule} was called unreachable, but decides this request`, request);
      for (const route of r.unmatched) if (covered.has(route)) broken('coverage', `route ${route ?? '(entry)'} was proved to match every request`, request);
      if (limit !== undefined && kept.has(r.entryRule) && r.cost > limit + 1e-9) {
        broken('budget', `entry rule ${r.entryRule} was proved within $${limit}, but can cost $${r.cost}`, request);
      }
      for (const a of proved) {
        for (const model of r.models) {
          if (!assertionHolds(policy, a.node.expr as A.Expr, request, model, count))
            broken('assertion', `assertion "${a.label}" was proved, but fails for ${model}`, request);
        }
      }
    }
  }
  return report;
}

const POLICIES = Number(process.env.ROUTELANG_HUNT_POLICIES ?? 10_000);
/** The first policy seed: CI hunts 1 to 10,000; a longer hunt by script can start past them. */
const FIRST_SEED = Number(process.env.ROUTELANG_HUNT_SEED ?? 1);
const REQUESTS = 150;

describe('no false proofs', () => {
  it(`in ${POLICIES.toLocaleString('en-US')} random policies`, { timeout: 0 }, () => {
    const report = hunt(FIRST_SEED, POLICIES, REQUESTS);
    console.log(
      `false-proof hunt: ${report.policies} policies (seeds ${FIRST_SEED} to ${FIRST_SEED + POLICIES - 1}), ${report.requests} requests; claims tested: ${report.claims.assertions} assertions proved, ${report.claims.unreachable} rules unreachable, ${report.claims.budgets} budgets kept, ${report.claims.coverage} routes covering, ${report.claims.decisions} policies' decide() compared, ${report.claims.refutations} counterexamples replayed; ${report.tooLarge} too large, ${report.undecided} with an undecided question; false proofs: ${JSON.stringify(report.byKind)}`,
    );
    expect(report.falseProofs).toEqual([]);
    expect(report.byKind).toEqual({});
    // Exactness: on the hunt's grammar every question is decided (the consistency diagram
    // makes every path a real request); an undecided one is a lost proof or a lost finding.
    expect(report.undecided).toBe(0);
    expect(report.tooLarge).toBe(0);
    // The hunt must test claims of every kind, or it proves nothing.
    for (const [kind, n] of Object.entries(report.claims)) expect(n, kind).toBeGreaterThan(POLICIES / 20);
  });
});

describe('three-valued analyses', () => {
  it('an undecided question is reported (RL3009), never taken as a proof', () => {
    // A gap in the checker's reasoning, made on purpose: without the consistency diagram a
    // path asks for a prompt containing "abc" but not "b", which no request has. The
    // analyses must say they could not decide, not prove the assertion or invent a request.
    const text = `policy p
input { prompt: text }
model cloud { provider = "p" id = "c" price = { input: $1 per 1M, output: $1 per 1M } context = 8k deployment = cloud }
model local { provider = "p" id = "l" price = { input: $1 per 1M, output: $1 per 1M } context = 8k deployment = on_prem }
route {
  when prompt contains "abc" and not (prompt contains "b") -> cloud
  otherwise -> local
}
assert "on premises": model.deployment == on_prem
`;
    const path = '/virtual/gap.route';
    const front = checkPolicy(path, nodeHost(new Map([[path, text]])));
    const c = compileRoutes(front.policy);
    // With the consistency diagram, the rule is exactly unreachable and the assertion proved.
    expect(analyze(c).map((d) => d.code)).toEqual(['RL3001']);
    const entry = c.routes.get(null);
    if (!entry) throw new Error('no entry route');
    const raw = firstMatch(
      c.diagrams,
      entry.rules.map((r) => r.when),
    ).regions;
    const gap = { ...c, consistent: TRUE, routes: new Map([[null, { ...entry, rules: entry.rules.map((r, i) => ({ ...r, region: raw[i] as number })) }]]) };
    const found = analyze(gap);
    expect(found.map((d) => [d.code, d.severity])).toEqual([
      ['RL3009', 'warning'],
      ['RL3009', 'error'],
    ]);
    expect(found[1]?.message).toMatch(/could not decide whether assertion "on premises" holds for `cloud`/);
    expect(found.some((d) => d.code === 'RL3004' || d.code === 'RL3001')).toBe(false);
  });
});
