/** Bundles the server for Node.js (`dist/server.cjs`, `dist/analysis-worker.cjs`) and the browser (`dist/browser.bundle.js`). */
export function bundle(options?: { minify?: boolean }): Promise<void>;
/** esbuild plugins of the browser build, shared with the playground's: ajv for the runtime's lazy `createRequire`, and the Node.js modules' browser stand-ins. */
export const bundledAjv: import('esbuild').Plugin;
export const browserShims: import('esbuild').Plugin;
/** The tokenizer files beside the Node.js bundles. */
export const TOKENIZER_FILES: readonly string[];
