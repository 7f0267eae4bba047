// Builds the playground into packages/playground/dist/: a static site (index.html, app.js,
// app.css, the editor's worker, the language server's worker, samples.json and the fonts)
// that needs no server of its own and makes no request outside its folder — host it
// anywhere, or open it with `pnpm playground`.
//
// - app.js: Monaco (the editor core and its contributions, without Monaco's own languages),
//   the LSP client that ships with Monaco, and the Routelang runtime (the request panel
//   decides with `Router.decide()` in the page), bundled by esbuild with the same Node.js
//   shims as the language server's browser build.
// - compile.worker.js: the compiler, for the costs and the decision graph (off the page's
//   thread: a pathological policy cannot freeze the page).
// - lsp.worker.js: @routelang/lsp's browser bundle (the language server in a Web Worker).
// - samples.json: the bundled examples (with the catalogue they import) and every `route`
//   block of the docs that is a policy or a fragment.

import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Kw } from '../../dsl/dist/index.js';
import { browserShims, bundledAjv, bundle as bundleLsp } from '../../lsp/scripts/bundle.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const root = join(pkg, '..', '..');
const require = createRequire(join(pkg, 'package.json'));
const monacoMain = require.resolve('monaco-editor/editor/editor.main.js');

/**
 * Monaco's `editor.main.js` without its 80 languages and language services (and the LSP
 * client, which the app imports itself): the editor API and every editor contribution
 * (hover, suggest, code actions, formatting, inlay hints, markers…).
 */
const monacoCore = {
  name: 'monaco-core',
  setup(b) {
    b.onResolve({ filter: /^monaco-core$/ }, () => ({ path: 'monaco-core', namespace: 'monaco-core' }));
    // The LSP client Monaco ships (outside its package's exports map).
    b.onResolve({ filter: /^monaco-lsp-client$/ }, () => ({ path: join(dirname(monacoMain), '..', '..', 'external', 'monaco-lsp-client', 'out', 'index.js') }));
    b.onLoad({ filter: /.*/, namespace: 'monaco-core' }, () => {
      const lines = readFileSync(monacoMain, 'utf8')
        .split('\n')
        .filter((line) => !/languages\/(definitions|features)\/|monaco-lsp-client|export \{ (index as lsp|__src_languages)/.test(line));
      return { contents: lines.join('\n'), loader: 'js', resolveDir: dirname(monacoMain) };
    });
  },
};

/** The policies a user can open: examples (with what they import) and the docs' route blocks. */
function samples() {
  const out = [];
  const examples = join(root, 'examples');
  const catalog = readFileSync(join(examples, 'catalog.route'), 'utf8');
  for (const dir of readdirSync(examples, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const file = join(examples, dir.name, 'policy.route');
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    out.push({
      name: `examples/${dir.name}`,
      main: `/examples/${dir.name}/policy.route`,
      files: { [`/examples/${dir.name}/policy.route`]: text, '/examples/catalog.route': catalog },
    });
  }
  const docs = join(root, 'docs');
  for (const name of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(docs, name), 'utf8');
    for (const m of text.matchAll(/^([ \t]*)```route([^\n]*)\n([\s\S]*?)^[ \t]*```/gm)) {
      const info = (m[2] ?? '').trim();
      if (info.startsWith('excerpt=')) continue;
      const indent = (m[1] ?? '').length;
      const body = (m[3] ?? '')
        .split('\n')
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n');
      const line = text.slice(0, m.index).split('\n').length;
      const where = `docs/${name}:${line}`;
      out.push({
        name: where,
        main: `/docs/${name.replace(/\.md$/, '')}-${line}.route`,
        files: { [`/docs/${name.replace(/\.md$/, '')}-${line}.route`]: body },
        ...(info ? { expects: info } : {}),
      });
    }
  }
  return out;
}

export async function buildPlayground({ minify = true } = {}) {
  const dist = join(pkg, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await bundleLsp({ minify });
  copyFileSync(join(root, 'packages', 'lsp', 'dist', 'browser.bundle.js'), join(dist, 'lsp.worker.js'));
  await build({
    entryPoints: { app: join(pkg, 'src', 'main.ts'), 'compile.worker': join(pkg, 'src', 'compile-worker.ts') },
    outdir: dist,
    bundle: true,
    format: 'esm',
    // The runtime loads a tokenizer encoding (2.8 MB) only when a policy counts tokens: split
    // out, the page and the compiler's worker load it then, not before the editor appears.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: 'es2022',
    minify,
    sourcemap: false,
    logLevel: 'warning',
    loader: { '.ttf': 'file' },
    define: { 'import.meta.url': '"file:///"', __ROUTELANG_KEYWORDS__: JSON.stringify(Object.keys(Kw)) },
    plugins: [monacoCore, bundledAjv, browserShims],
  });
  await build({
    entryPoints: { 'editor.worker': require.resolve('monaco-editor/editor/editor.worker.js') },
    outdir: dist,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(pkg, 'src', file), join(dist, file));
  writeFileSync(join(dist, 'samples.json'), JSON.stringify(samples()));
  return { dist, files: readdirSync(dist).map((f) => relative(dist, join(dist, f))) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { dist, files } = await buildPlayground();
  console.log(`built ${files.length} files into ${relative(process.cwd(), dist)}`);
}
