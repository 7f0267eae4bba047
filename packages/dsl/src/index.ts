// The public API of @routelang/dsl.
export * from './ast.js';
export * from './diagnostics.js';
export { parse, type ParseResult } from './parser.js';
export { SourceFile, type Span, type Position } from './source.js';
