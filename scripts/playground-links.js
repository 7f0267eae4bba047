#!/usr/bin/env node
// Puts an "open in the playground" link on the line before every route block in docs/
// (the playground names a docs sample `docs/FILE.md:LINE`, LINE being its fence's line), and
// renumbers the links an edit above them moved. test/docs-snippets.test.ts checks the result.
// Usage: node scripts/playground-links.js (also run by `pnpm gen-docs`)

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCS = join(new URL('..', import.meta.url).pathname, 'docs');
const LINK = /^\[open in the playground\]\(http:\/\/127\.0\.0\.1:5180\/#sample=docs\/[^)]*\)$/;

for (const name of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
  const path = join(DOCS, name);
  const before = readFileSync(path, 'utf8');
  const lines = before.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^[ \t]*```route(.*)$/.exec(lines[i]);
    if (!fence || fence[1].trim().startsWith('excerpt=')) continue;
    const link = (line) => `[open in the playground](http://127.0.0.1:5180/#sample=docs/${name}:${line})`;
    if (i > 0 && LINK.test(lines[i - 1].trim())) lines[i - 1] = link(i + 1);
    else {
      // A new link: the fence moves down to line i + 2.
      lines.splice(i, 0, link(i + 2));
      i += 1;
    }
  }
  const after = lines.join('\n');
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`renumbered docs/${name}`);
  }
}
