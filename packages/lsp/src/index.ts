// The public API of @routelang/lsp: start a server on a connection, or use the workspace
// and the feature functions directly (an embedding editor, or tests).

export { AnalysisCancelled, type AnalysisReport, type Analyzer, analyzeEntry, InlineAnalyzer } from './analysis.js';
export { toLspDiagnostic, toOffset, toPosition, toRange } from './convert.js';
export { RUN_TESTS_COMMAND } from './features/lenses.js';
export { nodeFileSystem, startNodeServer } from './node.js';
export {
  ANALYSED_NOTIFICATION,
  COMPILE_REQUEST,
  GRAPH_REQUEST,
  type GraphResponse,
  readSettings,
  type ServerOptions,
  type ServerSettings,
  startServer,
} from './server.js';
export { pathToUri, uriToPath } from './uri.js';
export { WorkerAnalyzer } from './worker-analyzer.js';
export { Analysis, Workspace, type WorkspaceFileSystem } from './workspace.js';
