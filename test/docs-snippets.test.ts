// Every `route` code block in README.md, docs/ and the packages' READMEs is checked, so the
// documentation cannot drift from the language. A block is either
// - a whole policy or a fragment (declarations without `policy`, checked as a catalogue):
//   it must check without errors, or fail with exactly the codes its fence names
//   (```route RL2012);
// - an excerpt (```route excerpt=PATH): its lines must appear, in order, in that file of the
//   repository, and that file must compile without errors.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { CATALOGUE, DECLARATION_KEYWORDS, nodeHost } from '../packages/dsl/src/index.js';
import { ROOT } from './support/fixtures.js';

interface Snippet {
  readonly where: string;
  readonly info: readonly string[];
  readonly body: string;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f));
  const packages = readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'README.md'));
  return [join(ROOT, 'README.md'), ...docs, ...packages.filter((f) => readdirSync(join(f, '..')).includes('README.md'))];
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    // Fences at the margin or indented (inside a list item), the body dedented as Markdown does.
    for (const m of text.matchAll(/^([ \t]*)```route([^\n]*)\n([\s\S]*?)^[ \t]*```/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      const indent = (m[1] ?? '').length;
      const body = (m[3] ?? '')
        .split('\n')
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n');
      out.push({ where: `${relative(ROOT, file)}:${line}`, info: (m[2] ?? '').trim().split(/\s+/).filter(Boolean), body });
    }
  }
  return out;
}

const errorCodes = (file: string, source?: string): string[] => {
  const host = source === undefined ? nodeHost() : nodeHost(new Map([[file, source]]));
  return [
    ...new Set(
      compilePolicy(file, host)
        .diagnostics.filter((d) => d.severity === 'error')
        .map((d) => d.code),
    ),
  ].sort();
};

/** A line compared without its indentation and alignment. */
const squeeze = (line: string): string => line.trim().replace(/\s+/g, ' ');

const ALL = snippets();

describe('route code blocks in the documentation', () => {
  it('are found (the extraction itself works)', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(4);
  });

  it.each(ALL.map((s) => [s.where, s] as const))('%s', (_where, snippet) => {
    const excerpt = snippet.info.find((i) => i.startsWith('excerpt='))?.slice('excerpt='.length);
    if (excerpt !== undefined) {
      const path = join(ROOT, excerpt);
      const lines = readFileSync(path, 'utf8').split('\n').map(squeeze);
      let at = 0;
      for (const wanted of snippet.body.split('\n').map(squeeze)) {
        if (wanted === '') continue;
        const found = lines.indexOf(wanted, at);
        expect(found, `"${wanted}" is not in ${excerpt} (after line ${at})`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
      expect(errorCodes(path)).toEqual([]);
      return;
    }
    const expected = snippet.info.filter((i) => /^RL\d{4}$/.test(i)).sort();
    // A fragment without `policy` is checked as a catalogue file is (it needs no entry route).
    expect(errorCodes(join(ROOT, 'docs', 'snippet.route'), snippet.body)).toEqual(expected);
  });
});

describe('the language reference', () => {
  const reference = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
  const catalogue = readFileSync(join(ROOT, 'docs', 'diagnostics.md'), 'utf8');

  it('links every diagnostic to its entry in docs/diagnostics.md', () => {
    const linked = new Set(
      [...reference.matchAll(/\[(RL\d{4})\]\(diagnostics\.md#(rl\d{4})\)/g)].map((m) => (m[1]?.toLowerCase() === m[2] ? m[1] : `bad:${m[1]}`)),
    );
    expect([...linked].filter((c) => c?.startsWith('bad:'))).toEqual([]);
    expect(Object.keys(CATALOGUE).filter((code) => !linked.has(code))).toEqual([]);
    // …and every anchor exists there.
    for (const code of linked) expect(catalogue, `${code} has an entry`).toContain(`### ${code}`);
  });

  it('names every plan form and declaration the parser knows', () => {
    const code = [...reference.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
    for (const form of [
      'fallback',
      'cascade',
      'until',
      'try',
      'else',
      'split by',
      'fastest',
      'cheapest',
      'best',
      'rollout',
      'shadow',
      'deny',
      'with {',
      'on [',
    ]) {
      expect(
        code.some((c) => c.includes(form)),
        form,
      ).toBe(true);
    }
    // Every word that starts a declaration (the lexer's list: a new declaration must be documented).
    for (const declaration of DECLARATION_KEYWORDS) {
      expect(reference, declaration).toMatch(new RegExp(`### \`${declaration}[ \`]`));
    }
  });
});

describe('"open in the playground" links', () => {
  it('precede every route block in docs/ and name that block as the playground does (docs/FILE.md:LINE of its fence)', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    let blocks = 0;
    for (const name of docs) {
      const lines = readFileSync(join(ROOT, 'docs', name), 'utf8').split('\n');
      lines.forEach((line, i) => {
        const fence = /^[ \t]*```route(.*)$/.exec(line);
        if (!fence || (fence[1] ?? '').trim().startsWith('excerpt=')) return;
        blocks++;
        // `node scripts/playground-links.js` (run by `pnpm gen-docs`) writes and renumbers them.
        expect(lines[i - 1]?.trim(), `docs/${name}:${i + 1}`).toBe(`[open in the playground](http://127.0.0.1:5180/#sample=docs/${name}:${i + 1})`);
      });
    }
    expect(blocks).toBeGreaterThanOrEqual(10);
  });
});
