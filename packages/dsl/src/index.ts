// The public API of @routelang/dsl.
export type * from './ast.js';
export * from './diagnostics.js';
export { parse, type ParseResult } from './parser.js';
export { SourceFile, type Span, type Position } from './source.js';
export { loadProgram, nodeHost, decodeSource, type CompilerHost, type HostFile, type LoadedModule, type LoadedProgram } from './load.js';
export { check, describeType, type CheckResult } from './check/index.js';
export type * from './check/policy.js';
export type { Type } from './check/types.js';
export { checkPolicy, type FrontEndResult } from './compile.js';
