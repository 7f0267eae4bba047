// Expands the CLI's file arguments: files as given, directories to the `.route` files
// under them (sorted, skipping node_modules and dot-directories).

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The `.route` files named by `args`; paths that do not exist are kept, to be reported. */
export function expandFiles(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    let isDir = false;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) collect(resolve(arg), out);
    else out.push(resolve(arg));
  }
  return [...new Set(out)];
}

function collect(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path, out);
    else if (entry.isFile() && entry.name.endsWith('.route')) out.push(path);
  }
}
