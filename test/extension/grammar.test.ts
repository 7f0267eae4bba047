// The TextMate grammar, tested with vscode-tmgrammar-test on annotated fixtures
// (packages/vscode-extension/test/grammar/*.route: `// ^^^ scope` lines under the text).
// A second run on a deliberately wrong annotation proves the check can fail.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const EXT = fileURLToPath(new URL('../../packages/vscode-extension/', import.meta.url));
const BIN = join(EXT, 'node_modules', '.bin', 'vscode-tmgrammar-test');
const GRAMMAR = join(EXT, 'syntaxes', 'routelang.tmLanguage.json');

const run = (files: string) => spawnSync(BIN, ['-g', GRAMMAR, files], { cwd: EXT, encoding: 'utf8' });

test('every token class of the language gets its scope', () => {
  const result = run('test/grammar/*.route');
  expect(result.stdout + result.stderr).toMatch(/declarations\.route run successfu/);
  expect(result.stdout + result.stderr).toMatch(/routes\.route run successfu/);
  expect(result.status).toBe(0);
});

test('a wrong expectation fails the grammar test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routelang-grammar-'));
  const text = readFileSync(join(EXT, 'test', 'grammar', 'routes.route'), 'utf8').replace(
    '//^^^^ keyword.control.routelang',
    '//^^^^ constant.numeric.routelang',
  );
  writeFileSync(join(dir, 'wrong.route'), text);
  const result = run(join(dir, 'wrong.route'));
  expect(result.status).not.toBe(0);
  expect(result.stdout + result.stderr).toContain('missing required scopes: constant.numeric.routelang');
});

test('the language configuration and snippets are well-formed and the snippets expand to valid policy text', async () => {
  const config = JSON.parse(readFileSync(join(EXT, 'language-configuration.json'), 'utf8'));
  expect(config.comments).toEqual({ lineComment: '//', blockComment: ['/*', '*/'] });
  const wordPattern = new RegExp(config.wordPattern);
  expect('local-large'.match(wordPattern)?.[0]).toBe('local-large');
  const snippets = JSON.parse(readFileSync(join(EXT, 'snippets', 'routelang.json'), 'utf8')) as Record<string, { body: string[] }>;
  const { parse } = await import('../../packages/dsl/dist/index.js');
  for (const [name, snippet] of Object.entries(snippets)) {
    // Expand with each placeholder's default (the first choice of a choice list).
    const text = snippet.body
      .join('\n')
      .replace(/\$\{\d+\|([^,|}]+)[^}]*\}/g, '$1')
      .replace(/\$\{\d+:([^}]*)\}/g, '$1')
      .replace(/\\\$/g, '$');
    // Fragments (a plan, an assertion) are checked inside a route or on their own.
    const wrapped = /^(route|input|validator|tool|assert|test)\b/m.test(text) ? text : `route {\n  otherwise -> ${text}\n}`;
    const parsed = parse(wrapped, `${name}.route`);
    expect(parsed.diagnostics, `${name}:\n${wrapped}`).toEqual([]);
  }
});
