// The public API of @routelang/dsl.

export { analyze, type Counterexample, decidingRules, maxPromptTokens, worstCost } from './analyze/index.js';
export type * from './ast.js';
export { type CheckResult, check, describeType } from './check/index.js';
export type * from './check/policy.js';
export type { Type } from './check/types.js';
export { type CompileResult, checkPolicy, compilePolicy, type FrontEndResult } from './compile.js';
export * from './diagnostics.js';
export { emitIR } from './emit.js';
export { type FormatResult, format } from './format.js';
export { type Compilation, type CompiledAssertion, type CompiledRoute, type CompiledRule, compileRoutes } from './graph/compile.js';
export { type CompilerHost, decodeSource, type HostFile, type LoadedModule, type LoadedProgram, loadProgram, nodeHost } from './load.js';
export { lowerExpr, lowerPlan } from './lower.js';
export { type ParseResult, parse } from './parser.js';
export { type Position, SourceFile, type Span } from './source.js';
export { runPolicyTests, type TestOutcome, type TestReport } from './testing.js';
