// Builds the extension into dist/: the client (src/extension.ts, bundled with esbuild; `vscode`
// is provided by the editor) and the language server's single-file Node.js bundle, so the
// .vsix carries no node_modules.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundle, TOKENIZER_FILES } from '../../lsp/scripts/bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lspDist = join(root, '..', 'lsp', 'dist');

export async function buildExtension() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'extension.ts')],
    outfile: join(root, 'dist', 'extension.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  await bundle();
  for (const file of ['server.cjs', 'analysis-worker.cjs', ...TOKENIZER_FILES]) copyFileSync(join(lspDist, file), join(root, 'dist', file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildExtension();
