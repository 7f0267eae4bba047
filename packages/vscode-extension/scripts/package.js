// `pnpm --filter routelang-vscode package`: builds dist/ and packs routelang.vsix with
// @vscode/vsce (3.9: the last line that runs on Node.js 20). Dependencies are bundled, so
// vsce is told not to collect node_modules.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension } from './build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function packageExtension(out = join(root, 'routelang.vsix')) {
  await buildExtension();
  const vsce = join(root, 'node_modules', '.bin', 'vsce');
  const result = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '-o', out], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`vsce failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await packageExtension());
