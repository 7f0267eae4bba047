/** Bundles the server for Node.js (`dist/server.cjs`, `dist/analysis-worker.cjs`) and the browser (`dist/browser.bundle.js`). */
export function bundle(options?: { minify?: boolean }): Promise<void>;
