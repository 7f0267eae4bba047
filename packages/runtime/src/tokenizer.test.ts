// Token counting is linear in the text for any input (a run of one character used to take
// quadratic time: one request could stall a service), and exact on ordinary text. The
// guard counts work — the characters handed to the encoder and the largest piece — rather
// than timing anything.

import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { linearCounter, loadTokenizer, MAX_RUN } from './tokenizer.js';

const ORDINARY = [
  'Summarise this contract for a lawyer, in three bullet points.',
  'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n',
  'Résumé naïve café — 東京 の 天気 は？ 🙂🙂 emoji and ümlauts.',
  `${'word '.repeat(5000)}end`,
  `https://example.com/${'x'.repeat(200)} trailing`,
];

function spy() {
  const pieces: string[] = [];
  const count = (t: string): number => {
    pieces.push(t);
    return t.length;
  };
  return { pieces, count };
}

describe('token counting', () => {
  it('is exact on ordinary text (no run without white space over the limit)', async () => {
    const count = await loadTokenizer('o200k_base');
    for (const text of ORDINARY) expect(count(text), text.slice(0, 30)).toBe(countTokens(text));
  });

  it('hands the encoder every character once, in pieces no longer than the limit, for a degenerate run', () => {
    const s = spy();
    const text = `start ${'a'.repeat(1_000_000)} end`;
    linearCounter(s.count)(text);
    expect(s.pieces.join('')).toBe(text);
    expect(Math.max(...s.pieces.map((p) => p.length))).toBeLessThanOrEqual(MAX_RUN + 'start '.length);
    expect(s.pieces.length).toBeGreaterThan(1_000_000 / MAX_RUN);
  });

  it('never splits a surrogate pair', () => {
    const s = spy();
    linearCounter(s.count)('🙂'.repeat(5000));
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (const p of s.pieces) expect(loneSurrogate.test(p)).toBe(false);
    expect(loneSurrogate.test('🙂'.slice(0, 1))).toBe(true);
    expect(s.pieces.join('')).toBe('🙂'.repeat(5000));
  });

  it('counts a million-character run with the real encoder, close to the exact count of its blocks', async () => {
    const count = await loadTokenizer('o200k_base');
    const n = count('a'.repeat(1_000_000));
    const perBlock = countTokens('a'.repeat(MAX_RUN));
    expect(n).toBe(Math.ceil(1_000_000 / MAX_RUN - 1) * perBlock + countTokens('a'.repeat(1_000_000 % MAX_RUN || MAX_RUN)));
  });
});
