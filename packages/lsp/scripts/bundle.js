// Bundles the server with esbuild: `dist/server.cjs` and its `dist/analysis-worker.cjs` for
// Node.js (what the VS Code extension ships) and `dist/browser.js` for a web worker. The browser bundle
// replaces `node:path` with path-browserify, `node:fs` with a module that has no files
// (the browser server reads only open documents) and `node:http(s)` with one that has no
// network (it never runs a request), and fails if any other Node.js module is still imported.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const require = createRequire(import.meta.url);

const runtimeRequire = createRequire(join(pkg, '..', 'runtime', 'package.json'));

/**
 * The runtime loads ajv lazily through `createRequire` (only policies with `schema`
 * validators need it), which a bundler cannot follow: give it a `createRequire` that
 * returns the bundled ajv.
 */
export const bundledAjv = {
  name: 'bundled-ajv',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'module', namespace: 'ajv-require' }));
    b.onLoad({ filter: /.*/, namespace: 'ajv-require' }, () => ({
      contents: `import * as ajv from ${JSON.stringify(runtimeRequire.resolve('ajv'))};\nexport const createRequire = () => (id) => { if (id === 'ajv') return ajv; throw new Error(id + ' is not bundled'); };`,
      loader: 'js',
      resolveDir: pkg,
    }));
  },
};

/** Where `node:*` imports go in the browser. */
export const browserShims = {
  name: 'browser-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?path$/ }, () => ({ path: require.resolve('path-browserify') }));
    b.onResolve({ filter: /^(node:)?fs$/ }, () => ({ path: 'fs', namespace: 'no-fs' }));
    b.onLoad({ filter: /.*/, namespace: 'no-fs' }, () => ({
      contents:
        'const none = () => { const e = new Error("no file system in the browser"); e.code = "ENOENT"; throw e; };\nexport const readFileSync = none, statSync = none, readdirSync = none, openSync = none, fstatSync = none, readSync = none, closeSync = none;\nexport const constants = { O_RDONLY: 0, O_NONBLOCK: 0 };',
      loader: 'js',
    }));
    // The runtime's provider transport (node:http/https) is never called by the language
    // server: requests are decided, never run. A stub keeps the bundle honest if that changes.
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) => ({ path: args.path, namespace: 'no-net' }));
    b.onLoad({ filter: /.*/, namespace: 'no-net' }, () => ({
      contents: 'export class Agent {}\nexport const request = () => { throw new Error("no network from the language server in the browser"); };',
      loader: 'js',
    }));
    // The router opens a `redis://` state through @routelang/redis, found by file URL: never
    // in the language server, which only decides.
    b.onResolve({ filter: /^(node:)?url$/ }, (args) => ({ path: args.path, namespace: 'no-url' }));
    b.onLoad({ filter: /.*/, namespace: 'no-url' }, () => ({
      contents: 'export const pathToFileURL = () => { throw new Error("no file URLs in the browser"); };',
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} is not available in the browser (imported by ${args.importer})` }] }));
  },
};

/** The tokenizer encodings, bundled once each beside the server (`tokenizer-<name>.cjs`). */
export const TOKENIZER_FILES = ['tokenizer-o200k_base.cjs', 'tokenizer-cl100k_base.cjs'];

/**
 * The server and its analysis worker both count tokens: bundled into each, the encodings
 * (~4.7 MB) shipped twice. Each encoding is its own file instead, which both load by a
 * relative path when a policy first needs it.
 */
const sharedTokenizer = {
  name: 'shared-tokenizer',
  setup(b) {
    b.onResolve({ filter: /^gpt-tokenizer\/encoding\/(o200k_base|cl100k_base)$/ }, (args) => ({
      path: `./tokenizer-${args.path.split('/').pop()}.cjs`,
      external: true,
    }));
  },
};

export async function bundle({ minify = true } = {}) {
  // The Node.js bundles: CommonJS files beside the compiled sources.
  const node = {
    outdir: join(pkg, 'dist'),
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify,
    logLevel: 'warning',
  };
  await build({
    ...node,
    entryPoints: Object.fromEntries(
      ['o200k_base', 'cl100k_base'].map((name) => [`tokenizer-${name}`, runtimeRequire.resolve(`gpt-tokenizer/encoding/${name}`)]),
    ),
  });
  await build({
    ...node,
    entryPoints: { server: join(pkg, 'dist', 'main.js'), 'analysis-worker': join(pkg, 'dist', 'analysis-worker.js') },
    sourcemap: true,
    logLevel: 'warning',
    // import.meta.url is used only to find the package's own files, which a bundle does not need.
    define: { 'import.meta.url': '__importMetaUrl', 'process.env.ROUTELANG_ANALYSIS_WORKER': '"analysis-worker.cjs"' },
    banner: { js: 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
    plugins: [bundledAjv, sharedTokenizer],
  });
  await build({
    entryPoints: [join(pkg, 'dist', 'browser.js')],
    outfile: join(pkg, 'dist', 'browser.bundle.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify,
    sourcemap: true,
    logLevel: 'warning',
    define: { 'import.meta.url': '"file:///"' },
    plugins: [bundledAjv, browserShims],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
