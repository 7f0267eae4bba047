// The checked policy: the semantic model that the decision graph, the emitter, the
// language server and the runtime tooling read. Built by `check()` from a loaded program;
// values are normalised (prices in dollars per token, durations in milliseconds).

import type * as A from '../ast.js';
import type { LoadedProgram } from '../load.js';
import type { Type } from './types.js';

/** Where a declaration lives. */
export interface Declared<N> {
  readonly name: string;
  readonly node: N;
  readonly file: string;
}

/** A literal value of a field: a default or a test input. */
export type FieldValue = string | number | boolean | readonly string[];

export interface FieldInfo extends Declared<A.FieldDecl> {
  readonly type: Type;
  readonly default?: FieldValue;
  readonly classifier?: string;
}

export interface EnumInfo extends Declared<A.EnumDecl> {
  readonly members: readonly string[];
}

export type Deployment = 'cloud' | 'on_prem';

export interface ModelInfo extends Declared<A.ModelDecl> {
  readonly provider: string;
  readonly id: string;
  /** Dollars per input token. */
  readonly inputPrice: number;
  /** Dollars per output token. */
  readonly outputPrice: number;
  /** Context window in tokens. */
  readonly context: number;
  /** Largest answer in tokens, when declared. */
  readonly maxOutput?: number;
  readonly deployment: Deployment;
  readonly regions: readonly string[];
  readonly tags: readonly string[];
  /** Expected latency in milliseconds, when declared. */
  readonly latencyMs?: number;
}

/** A value the gateway reads when it starts: a literal, or the name of an environment variable. */
export type ProviderValue = { readonly value: string } | { readonly env: string };

export interface ProviderInfo extends Declared<A.ProviderDecl> {
  readonly protocol: 'openai' | 'anthropic';
  readonly baseUrl: string;
  /** The environment variable holding the API key (never the key itself). */
  readonly apiKeyEnv?: string;
  readonly headers: Readonly<Record<string, ProviderValue>>;
}

export interface ToolInfo extends Declared<A.ToolDecl> {
  readonly toolKind: string;
  readonly timeoutMs?: number;
  /** Dollars per call, when declared. */
  readonly cost?: number;
}

export type ValidatorKind =
  | { readonly kind: 'extern'; readonly name: string }
  | { readonly kind: 'schema'; readonly path: string }
  | { readonly kind: 'json' }
  | { readonly kind: 'not_empty' };

export interface ValidatorInfo extends Declared<A.ValidatorDecl> {
  readonly spec: ValidatorKind;
}

export interface ClassifierInfo extends Declared<A.ClassifierDecl> {
  readonly target: string;
  readonly extern?: string;
  readonly labels: readonly { readonly label: string; readonly examples: readonly string[] }[];
  readonly default?: string;
}

export interface RouteInfo {
  /** Undefined for the entry route. */
  readonly name: string | undefined;
  readonly node: A.RouteDecl;
  readonly file: string;
}

export interface AssertInfo {
  readonly label: string | undefined;
  readonly node: A.AssertDecl;
  readonly file: string;
}

export interface BudgetInfo {
  /** Dollars per request. */
  readonly perRequest?: number;
  /** The most one shadow call may cost. */
  readonly perShadow?: number;
  readonly perTenant?: { readonly amount: number; readonly period: 'day' | 'hour' };
  readonly node: A.BudgetDecl;
  readonly file: string;
}

export interface TestInfo extends Declared<A.TestDecl> {}

/** Everything a policy declares, across its imported files, checked and normalised. */
export interface Policy {
  readonly program: LoadedProgram;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly fields: ReadonlyMap<string, FieldInfo>;
  readonly enums: ReadonlyMap<string, EnumInfo>;
  readonly models: ReadonlyMap<string, ModelInfo>;
  readonly providers: ReadonlyMap<string, ProviderInfo>;
  readonly tools: ReadonlyMap<string, ToolInfo>;
  readonly validators: ReadonlyMap<string, ValidatorInfo>;
  readonly classifiers: ReadonlyMap<string, ClassifierInfo>;
  /** Named routes. */
  readonly routes: ReadonlyMap<string, RouteInfo>;
  readonly entryRoute: RouteInfo | undefined;
  readonly asserts: readonly AssertInfo[];
  readonly budget: BudgetInfo | undefined;
  readonly tests: ReadonlyMap<string, TestInfo>;
}
