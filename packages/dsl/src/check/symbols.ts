// Symbol collection: walks every loaded file and gathers the declarations into one table
// per kind, reporting duplicates (with the first declaration as related information).

import type * as A from '../ast.js';
import type { LoadedProgram } from '../load.js';
import type { CheckContext } from './context.js';

/** A declaration and the file it is in. */
export interface Located<N> {
  readonly node: N;
  readonly file: string;
}

export interface SymbolTables {
  readonly enums: Map<string, Located<A.EnumDecl>>;
  readonly models: Map<string, Located<A.ModelDecl>>;
  readonly providers: Map<string, Located<A.ProviderDecl>>;
  readonly tools: Map<string, Located<A.ToolDecl>>;
  readonly validators: Map<string, Located<A.ValidatorDecl>>;
  readonly classifiers: Map<string, Located<A.ClassifierDecl>>;
  readonly routes: Map<string, Located<A.RouteDecl>>;
  readonly tests: Map<string, Located<A.TestDecl>>;
  readonly entryRoutes: Located<A.RouteDecl>[];
  readonly inputs: Located<A.InputDecl>[];
  readonly asserts: Located<A.AssertDecl>[];
  readonly budgets: Located<A.BudgetDecl>[];
  readonly header: Located<A.PolicyHeader> | undefined;
}

const KIND_WORD: Record<string, string> = {
  Enum: 'enum',
  ModelDecl: 'model',
  ProviderDecl: 'provider',
  ToolDecl: 'tool',
  ValidatorDecl: 'validator',
  ClassifierDecl: 'classifier',
  RouteDecl: 'route',
  TestDecl: 'test',
};

/** Collects declarations of all files; the entry file's header names the policy. */
export function collectSymbols(program: LoadedProgram, ctx: CheckContext): SymbolTables {
  const tables: SymbolTables = {
    enums: new Map(),
    models: new Map(),
    providers: new Map(),
    tools: new Map(),
    validators: new Map(),
    classifiers: new Map(),
    routes: new Map(),
    tests: new Map(),
    entryRoutes: [],
    inputs: [],
    asserts: [],
    budgets: [],
    header: undefined,
  };
  let header: Located<A.PolicyHeader> | undefined;
  // Names shared by models and named routes collide: a plan `NAME` must mean one thing.
  const planNames = new Map<string, { file: string; node: A.Ident; kind: string }>();

  const add = <N extends { name: A.Ident }>(table: Map<string, Located<N>>, node: N & { kind: string }, file: string): void => {
    const name = node.name.name;
    const existing = table.get(name);
    const word = KIND_WORD[node.kind] ?? 'declaration';
    if (existing) {
      ctx.report('RL2010', file, node.name, `${word} \`${name}\` is declared twice`, {
        help: 'rename one of them',
        related: [{ file: existing.file, span: existing.node.name.span, message: `first declaration of \`${name}\`` }],
      });
      return;
    }
    table.set(name, { node, file });
  };

  const claimPlanName = (name: A.Ident, file: string, kind: string): void => {
    const other = planNames.get(name.name);
    if (other && other.kind !== kind) {
      ctx.report('RL2010', file, name, `\`${name.name}\` names both a ${other.kind} and a ${kind}`, {
        help: 'a plan refers to models and routes by name, so they must differ',
        related: [{ file: other.file, span: other.node.span, message: `the ${other.kind} \`${name.name}\`` }],
      });
      return;
    }
    if (!other) planNames.set(name.name, { file, node: name, kind });
  };

  for (const loaded of program.modules.values()) {
    const file = loaded.path;
    const isEntry = file === program.entry;
    let headers = 0;
    for (const decl of loaded.module.declarations) {
      switch (decl.kind) {
        case 'Policy':
          headers++;
          if (headers > 1) {
            ctx.report('RL2029', file, decl, 'this file already has a `policy` header', { help: 'remove this header' });
          } else if (isEntry) {
            header = { node: decl, file };
          }
          break;
        case 'Import':
          break;
        case 'Enum':
          add(tables.enums, decl, file);
          break;
        case 'Input':
          tables.inputs.push({ node: decl, file });
          break;
        case 'ModelDecl':
          add(tables.models, decl, file);
          claimPlanName(decl.name, file, 'model');
          break;
        case 'ProviderDecl':
          add(tables.providers, decl, file);
          break;
        case 'ToolDecl':
          add(tables.tools, decl, file);
          break;
        case 'ValidatorDecl':
          add(tables.validators, decl, file);
          break;
        case 'ClassifierDecl':
          add(tables.classifiers, decl, file);
          break;
        case 'RouteDecl':
          if (decl.name) {
            add(tables.routes as Map<string, Located<A.RouteDecl & { name: A.Ident }>>, decl as A.RouteDecl & { name: A.Ident }, file);
            claimPlanName(decl.name, file, 'route');
          } else {
            tables.entryRoutes.push({ node: decl, file });
          }
          break;
        case 'AssertDecl':
          tables.asserts.push({ node: decl, file });
          break;
        case 'BudgetDecl':
          tables.budgets.push({ node: decl, file });
          break;
        case 'TestDecl':
          addTest(tables.tests, decl, file, ctx);
          break;
      }
    }
  }
  return { ...tables, header };
}

function addTest(table: Map<string, Located<A.TestDecl>>, node: A.TestDecl, file: string, ctx: CheckContext): void {
  const name = node.name.value;
  const existing = table.get(name);
  if (existing) {
    ctx.report('RL2010', file, node.name, `test "${name}" is declared twice`, {
      help: 'give each test its own name, so a failure says which one',
      related: [{ file: existing.file, span: existing.node.name.span, message: 'first test with this name' }],
    });
    return;
  }
  table.set(name, { node, file });
}
