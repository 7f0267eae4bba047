// The public API of @routelang/dsl.

export { analyze, type Counterexample, decidingRules, dollars, maxPromptTokens, plannedCalls, worstCost } from './analyze/index.js';
export type { DecidingRule, PlannedCall } from './analyze/paths.js';
export type { CostBound } from './analyze/resources.js';
export type * from './ast.js';
export { BUDGET_KEYS, DEPLOYMENTS, MODEL_PROPERTIES, PROTOCOLS, PROVIDER_PROPERTIES, TOOL_KINDS, TOOL_PROPERTIES } from './check/declarations.js';
export { MODEL_EXPR_PROPERTIES, TEXT_PARTS } from './check/expressions.js';
export { type CheckResult, check, describeType } from './check/index.js';
export { ERROR_CLASSES, PLAN_OPTIONS } from './check/plans.js';
export type * from './check/policy.js';
export type { Type } from './check/types.js';
export { SCALAR_TYPES } from './check/types.js';
export { type CompileOptions, type CompileResult, checkPolicy, compileChecked, compilePolicy, type FrontEndResult } from './compile.js';
export * from './diagnostics.js';
export { emitIR } from './emit.js';
export { emitDecideModule } from './emit-js.js';
export { exprText, type FormatResult, format, planText, valueText } from './format.js';
export { type Compilation, type CompiledAssertion, type CompiledRoute, type CompiledRule, compileRoutes } from './graph/compile.js';
export { CompileInterrupted } from './graph/diagram.js';
export { drawRoutes, MAX_DRAWN_NODES, type RouteDrawing, toDot, toMermaid, toSvg } from './graph/drawing.js';
export { DECLARATION_KEYWORDS, Kw, type PlainToken, tokenize } from './lexer.js';
export { type CompilerHost, decodeSource, type HostFile, type LoadedModule, type LoadedProgram, loadProgram, nodeHost } from './load.js';
export { lowerExpr, lowerPlan } from './lower.js';
export { type ParseResult, parse } from './parser.js';
export { indexSymbols, type Occurrence, SymbolIndex, type SymbolKey, type SymbolKind } from './references.js';
export { generateTraffic, type TrafficOptions } from './simulate/traffic.js';
export { type Position, SourceFile, type Span } from './source.js';
export { promptOfTokens, runPolicyTests, type TestOutcome, type TestReport } from './testing.js';
