// The dashboard's static files: the page, its script and style (packages/gateway/dashboard/)
// and uPlot, the chart library (bundled from its npm package: the page makes no request
// outside the gateway, so it works offline and behind a strict content security policy).
// Read once, on the first request for them.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const require = createRequire(import.meta.url);
const own = (file: string): string => fileURLToPath(new URL(`../dashboard/${file}`, import.meta.url));

const FILES: Readonly<Record<string, { readonly path: () => string; readonly type: string }>> = {
  '/dashboard/': { path: () => own('index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { path: () => own('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { path: () => own('dashboard.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/uPlot.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Asset>();

/** The asset served at `path`, or undefined when there is none. */
export function dashboardAsset(path: string): Asset | undefined {
  const file = FILES[path];
  if (!file) return undefined;
  let asset = cache.get(path);
  if (!asset) {
    asset = { type: file.type, body: readFileSync(file.path()) };
    cache.set(path, asset);
  }
  return asset;
}
