// Token counting for `prompt.tokens`, with a real BPE tokenizer (gpt-tokenizer: pure
// JavaScript, encodings bundled, synchronous once loaded). `o200k_base` is the encoding of
// the GPT-4o and o-series models; `cl100k_base` that of GPT-4 and GPT-3.5. Encodings are
// imported on first use (o200k takes ~150 ms to load), so importing the runtime stays cheap.

import type { TokenCounter } from './values.js';

export type TokenizerName = 'o200k_base' | 'cl100k_base';

/**
 * The longest run of characters without white space counted in one piece. BPE merges within
 * a pre-tokenised piece take time quadratic in its length (a 40,000-character run of one
 * letter took 1.3 s, a million would stall a service), and ordinary words are far shorter.
 */
export const MAX_RUN = 256;

const isSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 || code === 0x2029 || code === 0xfeff;

/**
 * A counter that takes time linear in the text for any input: exact where no run without
 * white space is longer than `maxRun` characters (ordinary text); a longer run is counted in
 * `maxRun`-character blocks, each within a few tokens of its share of the exact count.
 */
export function linearCounter(count: TokenCounter, maxRun = MAX_RUN): TokenCounter {
  return (text) => {
    let run = 0;
    let long = false;
    for (let i = 0; i < text.length && !long; i++) {
      run = isSpace(text.charCodeAt(i)) ? 0 : run + 1;
      long = run > maxRun;
    }
    if (!long) return count(text);
    let total = 0;
    let from = 0; // start of the text not yet counted
    let i = 0;
    while (i < text.length) {
      if (isSpace(text.charCodeAt(i))) {
        i++;
        continue;
      }
      let end = i;
      while (end < text.length && !isSpace(text.charCodeAt(end))) end++;
      if (end - i > maxRun) {
        if (i > from) total += count(text.slice(from, i));
        // Blocks never split a surrogate pair.
        for (let at = i; at < end; ) {
          let to = Math.min(at + maxRun, end);
          if (to < end && (text.charCodeAt(to) & 0xfc00) === 0xdc00 && to - 1 > at) to--;
          total += count(text.slice(at, to));
          at = to;
        }
        from = end;
      }
      i = end;
    }
    if (from < text.length) total += count(text.slice(from));
    return total;
  };
}

/** Loads a named encoding's counter (linear in the text for any input: see `linearCounter`). */
export async function loadTokenizer(name: TokenizerName): Promise<TokenCounter> {
  if (name === 'cl100k_base') {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return linearCounter((text) => countTokens(text));
  }
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  return linearCounter((text) => countTokens(text));
}
