// The "bad input" list: none of these may crash, hang or print a stack trace;
// each gets a diagnostic. (Performance is measured by `pnpm bench`, not here.)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../packages/dsl/src/compile.js';
import { format } from '../packages/dsl/src/format.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { readBounded } from '../packages/dsl/src/read.js';

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

  it('a device or a FIFO is refused without reading from it, as a policy, an import, traffic, a profile or a configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-fifo-'));
    const fifo = join(dir, 'pipe.route');
    execFileSync('mkfifo', [fifo]);
    for (const path of ['/dev/zero', fifo]) {
      const read = readBounded(path, 1024);
      expect(read.kind === 'missing' && read.reason, path).toBe('is not a regular file (a device, FIFO or socket)');
      expect(codes(path), path).toEqual(['RL1010']);
    }
    const importer = join(dir, 'imports.route');
    writeFileSync(importer, 'policy p\nimport "pipe.route"\ninput { prompt: text }\n');
    expect(codes(importer)).toContain('RL2020');
    const bin = join(import.meta.dirname, '..', 'packages', 'dsl', 'bin', 'routelang.js');
    const policy = join(import.meta.dirname, '..', 'examples', 'tool-first', 'policy.route');
    for (const args of [
      ['simulate', policy, '/dev/zero'],
      ['simulate', policy, fifo],
      ['simulate', policy, fifo, '--profile', '/dev/zero'],
      ['import', 'litellm', '/dev/zero'],
      ['import', 'portkey', fifo],
      ['diff', policy, policy, '--traffic', '/dev/zero'],
    ]) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.signal, args.join(' ')).toBeNull();
      expect(r.stderr + r.stdout, args.join(' ')).toMatch(/is not a regular file/);
      expect(r.status, args.join(' ')).not.toBe(0);
    }
  });

  it('the size cap holds while reading, not only by stat', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-cap-'));
    const file = join(dir, 'f.route');
    writeFileSync(file, Buffer.alloc(4096, 'a'));
    expect(readBounded(file, 4095)).toEqual({ kind: 'too-large', limit: 4095 });
    const whole = readBounded(file, 4096);
    expect(whole.kind === 'bytes' && whole.bytes.length).toBe(4096);
  });

  it('an import of a file that is not a policy is refused without reading it: no secret reaches a diagnostic', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-env-'));
    writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=sk-secret-123456\n');
    const entry = join(dir, 'p.route');
    writeFileSync(entry, 'policy p\nimport ".env"\ninput { prompt: text }\n');
    const result = checkPolicy(entry, nodeHost());
    expect(result.diagnostics.map((d) => d.code)).toContain('RL2020');
    expect(JSON.stringify(result.diagnostics)).not.toContain('sk-secret');
    expect([...result.program.modules.keys()]).toEqual([entry]);
  });
});
