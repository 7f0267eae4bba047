// Packing the workspace's packages as a registry would serve them, and their third-party
// dependencies from the installed copies, so a test can `npm install` them offline into a
// folder outside the workspace: what a user outside this repository gets.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The directory of package `name` as Node.js resolves it from `from` (node_modules upwards). */
function packageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return realpathSync(dirname(candidate));
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Every third-party package the given workspace packages load, transitively: name → the
 * directory of the installed copy. Two copies of one name would conflict in a flat install,
 * so that is an error.
 */
export function thirdPartyClosure(packageDirs: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (dir: string): void => {
    const m = manifest(dir);
    const optional = m.optionalDependencies ?? {};
    for (const name of Object.keys({ ...m.dependencies, ...optional })) {
      if (name.startsWith('@routelang/')) continue;
      const at = packageDir(dir, name);
      if (at === undefined) {
        if (name in optional) continue;
        throw new Error(`${m.name} depends on ${name}, which is not installed`);
      }
      const seen = found.get(name);
      if (seen === at) continue;
      if (seen !== undefined) throw new Error(`two copies of ${name}: ${seen} and ${at}`);
      found.set(name, at);
      visit(at);
    }
  };
  for (const dir of packageDirs) visit(realpathSync(dir));
  return found;
}

/**
 * An installed package directory as a registry tarball (`package/…`). pnpm's store
 * hard-links identical files, and npm does not extract hard-link entries, so links are
 * written as files.
 */
export function tarballOf(dir: string, out: string): void {
  execFileSync('tar', ['czf', out, '--hard-dereference', '--exclude=node_modules', '--transform', 's,^\\.,package,', '-C', dir, '.']);
}
