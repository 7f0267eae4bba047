// The "bad input" list: none of these may crash, hang or print a stack trace;
// each gets a diagnostic. (Performance is measured by `pnpm bench`, not here.)

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../packages/dsl/src/compile.js';
import { format } from '../packages/dsl/src/format.js';
import { nodeHost } from '../packages/dsl/src/load.js';

function codes(path: string, text?: string): string[] {
  const host = text === undefined ? nodeHost() : nodeHost(new Map([[path, text]]));
  return checkPolicy(path, host).diagnostics.map((d) => d.code);
}

describe('bad input', () => {
  it('a 50 MB file is refused with RL1009 before it is read into the parser', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-big-'));
    const file = join(dir, 'big.route');
    writeFileSync(file, Buffer.alloc(50 * 1024 * 1024, 'a'));
    expect(codes(file)).toEqual(['RL1009']);
  });

  it('10,000 nested parentheses give RL1007, not a stack overflow', () => {
    const text = `policy p\ninput { x: bool }\nmodel m { provider = "p" id = "i" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\nroute {\n  when ${'('.repeat(10_000)}x${')'.repeat(10_000)} -> m\n  otherwise -> m\n}\n`;
    expect(codes('/virtual/deep.route', text)).toEqual(['RL1007']);
    expect(format(text).ok).toBe(false);
  });

  it('10,000 unclosed brackets of mixed kinds give diagnostics', () => {
    const text = `route { when ${'([{'.repeat(3_400)} -> m }`;
    const found = codes('/virtual/unclosed.route', text);
    expect(found).toContain('RL1007');
  });

  it('10,000 `not`s give RL1007', () => {
    const text = `policy p\ninput { x: bool }\nmodel m { provider = "p" id = "i" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\nroute {\n  when ${'not '.repeat(10_000)}x -> m\n  otherwise -> m\n}\n`;
    expect(codes('/virtual/nots.route', text)).toEqual(['RL1007']);
  });

  it('a long `and` chain is flat, not deep: 20,000 operands check fine', () => {
    const chain = Array.from({ length: 20_000 }, () => 'x').join(' and ');
    const text = `policy p\ninput { x: bool }\nmodel m { provider = "p" id = "i" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\nroute {\n  when ${chain} -> m\n  otherwise -> m\n}\n`;
    expect(codes('/virtual/chain.route', text)).toEqual([]);
  });

  it('a file that imports itself gets RL2019', () => {
    expect(codes('/virtual/self.route', 'import "self.route"\n')).toEqual(['RL2019']);
  });

  it('an empty file gets RL1011; a binary one RL1008', () => {
    expect(codes('/virtual/empty.route', '')).toEqual(['RL1011']);
    const dir = mkdtempSync(join(tmpdir(), 'routelang-bin-'));
    const file = join(dir, 'x.route');
    writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    expect(codes(file)).toEqual(['RL1008']);
  });

  it('a directory named as a file gets RL1010', () => {
    expect(codes(tmpdir())).toEqual(['RL1010']);
  });
});
