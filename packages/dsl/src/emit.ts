// Emits the IR artifact (`routelang/ir@1`, defined in @routelang/runtime) from a
// compilation: catalogue, input schema, every route with its decision graph, rule
// conditions and plans, assertions, budget, and a source map (rule → file, line, label).

import { relative } from 'node:path';
import { IR_FORMAT, type PolicyIR, type SourceLocation, type Validator } from '@routelang/runtime';
import type { Compilation } from './graph/compile.js';
import type { LoadedProgram } from './load.js';

/** Builds the IR. Paths in the source map are relative to `baseDir` (default: the entry's folder). */
export function emitIR(compilation: Compilation, baseDir?: string): PolicyIR {
  const { policy } = compilation;
  const program = policy.program;
  const base = baseDir ?? program.entry.replace(/[\\/][^\\/]*$/, '');
  const where = (file: string, offset: number): SourceLocation => {
    const pos = sourceOf(program, file)?.position(offset) ?? { line: 1, column: 1 };
    return { file: relative(base, file).split('\\').join('/') || file, line: pos.line, column: pos.column };
  };
  const validators: Validator[] = [...policy.validators.values()].map((v) => {
    switch (v.spec.kind) {
      case 'extern':
        return { name: v.name, kind: 'extern', function: v.spec.name };
      case 'schema':
        return { name: v.name, kind: 'schema', path: relative(base, v.spec.path).split('\\').join('/') };
      default:
        return { name: v.name, kind: v.spec.kind };
    }
  });
  return {
    format: IR_FORMAT,
    policy: { name: policy.name ?? null, version: policy.version ?? null, source: relative(base, program.entry).split('\\').join('/') },
    inputs: [...policy.fields.values()].map((f) => ({
      name: f.name,
      type: compilation.fieldTypes.get(f.name) ?? { kind: 'string' },
      ...(f.default !== undefined ? { default: Array.isArray(f.default) ? [...f.default] : (f.default as string | number | boolean) } : {}),
      ...(f.classifier !== undefined ? { classifier: f.classifier } : {}),
    })),
    models: [...compilation.models.values()],
    ...(policy.providers.size > 0
      ? {
          providers: [...policy.providers.values()].map((p) => ({
            name: p.name,
            protocol: p.protocol,
            baseUrl: p.baseUrl,
            ...(p.apiKeyEnv !== undefined ? { apiKeyEnv: p.apiKeyEnv } : {}),
            ...(Object.keys(p.headers).length > 0 ? { headers: { ...p.headers } } : {}),
          })),
        }
      : {}),
    tools: [...policy.tools.values()].map((t) => ({
      name: t.name,
      kind: t.toolKind,
      ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
      ...(t.cost !== undefined ? { cost: t.cost } : {}),
    })),
    validators,
    classifiers: [...policy.classifiers.values()].map((c) => ({
      name: c.name,
      target: c.target,
      ...(c.extern !== undefined ? { extern: c.extern } : {}),
      labels: c.labels.map((l) => ({ label: l.label, examples: [...l.examples] })),
      ...(c.default !== undefined ? { default: c.default } : {}),
    })),
    routes: [...compilation.routes.values()].map((route) => ({
      name: route.name,
      rules: route.rules.map((rule) => ({
        ...(rule.condition ? { condition: rule.condition } : {}),
        text: rule.text,
        plan: rule.plan,
        ...(rule.node.label ? { label: rule.node.label.value } : {}),
        source: where(route.info.file, rule.node.span.start),
      })),
      graph: compilation.diagrams.toGraph(route.root),
    })),
    assertions: compilation.assertions.map((a) => ({
      ...(a.label !== undefined ? { label: a.label } : {}),
      condition: a.condition,
      source: where(a.file, a.node.span.start),
    })),
    ...(policy.budget && (policy.budget.perRequest !== undefined || policy.budget.perTenant !== undefined || policy.budget.perShadow !== undefined)
      ? {
          budget: {
            ...(policy.budget.perRequest !== undefined ? { perRequest: policy.budget.perRequest } : {}),
            ...(policy.budget.perShadow !== undefined ? { perShadow: policy.budget.perShadow } : {}),
            ...(policy.budget.perTenant !== undefined ? { perTenant: { ...policy.budget.perTenant } } : {}),
          },
        }
      : {}),
  };
}

function sourceOf(program: LoadedProgram, file: string) {
  return program.modules.get(file)?.source;
}
