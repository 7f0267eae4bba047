// The checker: a loaded program in, the semantic model (`Policy`) and name/type
// diagnostics out. Runs symbol collection, then declarations, fields, routes (conditions
// and plans), assertions and tests, then whole-policy checks (route cycles, entry route,
// unused declarations). Never throws on user input.

import type * as A from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import type { LoadedProgram } from '../load.js';
import { CheckContext } from './context.js';
import { checkBudgets, checkClassifier, checkEnum, checkModel, checkProvider, checkTool, checkValidator, reportUndeclaredProviders } from './declarations.js';
import { ExprChecker } from './expressions.js';
import { checkInputs } from './fields.js';
import { PlanChecker, type PlanScope } from './plans.js';
import type { AssertInfo, ClassifierInfo, EnumInfo, ModelInfo, Policy, ProviderInfo, RouteInfo, TestInfo, ToolInfo, ValidatorInfo } from './policy.js';
import { collectSymbols } from './symbols.js';
import { checkTest } from './tests.js';

export type * from './policy.js';
export type { Type } from './types.js';
export { describeType } from './types.js';

/** The checker's output. */
export interface CheckResult {
  readonly policy: Policy;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Per file, how many "is not declared" reports were left out because an import of that file
   * (or of a file it imports) failed: the missing file may declare those names, and a typo in
   * one import path must not bury its own diagnostic under a screen of echoes.
   */
  readonly suppressed: ReadonlyMap<string, number>;
}

/** Resolves names and checks types of a loaded program. */
export function check(program: LoadedProgram): CheckResult {
  const ctx = new CheckContext();
  const symbols = collectSymbols(program, ctx);
  // With a repaired tree, "nothing uses X" or "there is no entry route" may only mean the
  // parser dropped the text that did: those whole-policy judgments wait for a clean parse.
  const complete = [...program.modules.values()].every((m) => m.module.recovered.length === 0);

  const enums = new Map<string, EnumInfo>();
  for (const [name, located] of symbols.enums) enums.set(name, checkEnum(ctx, located));
  const models = new Map<string, ModelInfo>();
  for (const [name, located] of symbols.models) models.set(name, checkModel(ctx, located));
  const providers = new Map<string, ProviderInfo>();
  for (const [name, located] of symbols.providers) providers.set(name, checkProvider(ctx, located));
  if (providers.size > 0) reportUndeclaredProviders(ctx, models, providers);
  const tools = new Map<string, ToolInfo>();
  for (const [name, located] of symbols.tools) tools.set(name, checkTool(ctx, located));
  const validators = new Map<string, ValidatorInfo>();
  for (const [name, located] of symbols.validators) {
    const info = checkValidator(ctx, located);
    if (info) validators.set(name, info);
  }
  const classifiers = new Map<string, ClassifierInfo>();
  for (const [name, located] of symbols.classifiers) classifiers.set(name, checkClassifier(ctx, located));

  const used = new Set<string>();
  const fields = checkInputs(ctx, symbols.inputs, enums, classifiers, used);
  const routeNames = new Set(symbols.routes.keys());

  const routeRefs: PlanScope['routeRefs'] = [];
  const scopeFor = (file: string): PlanScope => ({ file, fields, models, tools, validators, routeNames, used, routeRefs });

  // Routes: conditions and plans.
  const routes = new Map<string, RouteInfo>();
  const edges = new Map<string | undefined, { name: string; ref: A.Ident; file: string }[]>();
  const labels = new Set<string>();
  const checkRoute = (info: RouteInfo): void => {
    const scope = scopeFor(info.file);
    const before = routeRefs.length;
    const exprs = new ExprChecker(ctx, { file: info.file, fields, models, inAssert: false, usedModels: used });
    const plans = new PlanChecker(ctx, scope);
    let otherwiseSeen: A.Rule | undefined;
    for (const rule of info.node.rules) {
      if (otherwiseSeen) {
        ctx.report('RL2023', info.file, rule, 'this rule comes after `otherwise`, so it can never match', {
          help: 'move `otherwise` to the end of the route',
          related: [{ file: info.file, span: otherwiseSeen.span, message: '`otherwise` matches every request' }],
        });
      }
      if (rule.condition) exprs.condition(rule.condition);
      else otherwiseSeen ??= rule;
      plans.check(rule.plan);
      if (rule.label) labels.add(rule.label.value);
    }
    edges.set(info.name, routeRefs.slice(before));
  };
  for (const [name, { node, file }] of symbols.routes) {
    const info: RouteInfo = { name, node, file };
    routes.set(name, info);
    checkRoute(info);
  }
  const [entry, ...extraEntries] = symbols.entryRoutes;
  const entryRoute: RouteInfo | undefined = entry ? { name: undefined, node: entry.node, file: entry.file } : undefined;
  if (entryRoute) checkRoute(entryRoute);
  for (const extra of extraEntries) {
    ctx.report('RL2031', extra.file, { span: extra.node.keyword }, 'a policy has one unnamed (entry) route', {
      help: 'name this route (`route NAME { … }`) and continue in it from the entry route',
      related: entry ? [{ file: entry.file, span: entry.node.keyword, message: 'the entry route' }] : undefined,
    });
    checkRoute({ name: undefined, node: extra.node, file: extra.file });
  }
  if (symbols.header && !entryRoute && complete) {
    ctx.report('RL2022', symbols.header.file, symbols.header.node.name, `policy \`${symbols.header.node.name.name}\` has no entry route`, {
      help: 'add `route { … otherwise -> MODEL }`',
    });
  }
  reportRouteCycles(ctx, edges);

  // Assertions.
  const asserts: AssertInfo[] = [];
  for (const { node, file } of symbols.asserts) {
    new ExprChecker(ctx, { file, fields, models, inAssert: true, usedModels: used }).condition(node.expr);
    asserts.push({ label: node.label?.value, node, file });
  }

  const budget = checkBudgets(ctx, symbols.budgets);
  const perTenantItem = symbols.budgets[0]?.node.items.find((i) => i.key.name === 'per_tenant');
  if (budget?.perTenant && perTenantItem && !fields.has('tenant')) {
    ctx.report('RL2035', budget.file, perTenantItem.key, '`per_tenant` counts spend by the input field `tenant`, which this policy does not declare', {
      help: 'add `tenant: string` to the `input` block',
    });
  }

  // Tests.
  const tests = new Map<string, TestInfo>();
  for (const [name, { node, file }] of symbols.tests) {
    const info: TestInfo = { name, node, file };
    tests.set(name, info);
    checkTest(ctx, info, scopeFor(file), fields, labels);
  }

  // Catalogue files (no `policy` header) exist to be imported: unused entries are expected there.
  if (symbols.header && complete) reportUnused(ctx, program.entry, { models, tools, validators, classifiers, routes }, used);

  const policy: Policy = {
    program,
    name: symbols.header?.node.name.name,
    version: symbols.header?.node.version?.value,
    fields,
    enums,
    models,
    providers,
    tools,
    validators,
    classifiers,
    routes,
    entryRoute,
    asserts,
    budget,
    tests,
  };
  const incomplete = filesWithFailedImports(program);
  const suppressed = new Map<string, number>();
  const diagnostics = ctx.diagnostics.filter((d) => {
    if (!ctx.unknownNames.has(d) || !incomplete.has(d.file)) return true;
    suppressed.set(d.file, (suppressed.get(d.file) ?? 0) + 1);
    return false;
  });
  return { policy, diagnostics, suppressed };
}

/** The files that have a failed import, or import (transitively) a file that has one. */
function filesWithFailedImports(program: LoadedProgram): Set<string> {
  const out = new Set<string>();
  // Modules come after their imports, so one pass in order propagates to importers.
  for (const [path, m] of program.modules) {
    if (m.imports.some((i) => i.path === undefined || out.has(i.path))) out.add(path);
  }
  return out;
}

/** Reports each cycle among named routes once, at the reference that closes it. */
function reportRouteCycles(ctx: CheckContext, edges: ReadonlyMap<string | undefined, { name: string; ref: A.Ident; file: string }[]>): void {
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    path.push(name);
    for (const edge of edges.get(name) ?? []) {
      const s = state.get(edge.name);
      if (s === 'active') {
        const cycle = [...path.slice(path.indexOf(edge.name)), edge.name].map((n) => `\`${n}\``).join(' → ');
        ctx.report('RL2018', edge.file, edge.ref, `routes continue in each other in a cycle: ${cycle}`, {
          help: 'end one of the routes with a model or `deny` instead of continuing',
        });
      } else if (s === undefined) {
        visit(edge.name);
      }
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const name of edges.keys()) if (name !== undefined && !state.has(name)) visit(name);
}

function reportUnused(
  ctx: CheckContext,
  entryFile: string,
  tables: {
    models: ReadonlyMap<string, { node: { name: A.Ident }; file: string }>;
    tools: ReadonlyMap<string, { node: { name: A.Ident }; file: string }>;
    validators: ReadonlyMap<string, { node: { name: A.Ident }; file: string }>;
    classifiers: ReadonlyMap<string, { node: { name: A.Ident }; file: string }>;
    routes: ReadonlyMap<string, RouteInfo>;
  },
  used: ReadonlySet<string>,
): void {
  const kinds: [string, ReadonlyMap<string, { node: { name?: A.Ident | undefined }; file: string }>][] = [
    ['model', tables.models],
    ['tool', tables.tools],
    ['validator', tables.validators],
    ['classifier', tables.classifiers],
    ['route', tables.routes],
  ];
  for (const [kind, table] of kinds) {
    for (const [name, info] of table) {
      if (info.file !== entryFile || used.has(name) || !info.node.name) continue;
      ctx.report('RL2033', info.file, info.node.name, `${kind} \`${name}\` is never used`, {
        help: `remove it, or use it in a plan${kind === 'classifier' ? ' (fill a field with `from`)' : ''}`,
      });
    }
  }
}
