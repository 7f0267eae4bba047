// The public API of @routelang/dsl.
export type * from './ast.js';
export { type CheckResult, check, describeType } from './check/index.js';
export type * from './check/policy.js';
export type { Type } from './check/types.js';
export { checkPolicy, type FrontEndResult } from './compile.js';
export * from './diagnostics.js';
export { type CompilerHost, decodeSource, type HostFile, type LoadedModule, type LoadedProgram, loadProgram, nodeHost } from './load.js';
export { type ParseResult, parse } from './parser.js';
export { type Position, SourceFile, type Span } from './source.js';
