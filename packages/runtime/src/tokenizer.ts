// Token counting for `prompt.tokens`, with a real BPE tokenizer (gpt-tokenizer: pure
// JavaScript, encodings bundled, synchronous once loaded). `o200k_base` is the encoding of
// the GPT-4o and o-series models; `cl100k_base` that of GPT-4 and GPT-3.5. Encodings are
// imported on first use (o200k takes ~150 ms to load), so importing the runtime stays cheap.

import type { TokenCounter } from './values.js';

export type TokenizerName = 'o200k_base' | 'cl100k_base';

/** Loads a named encoding's counter. */
export async function loadTokenizer(name: TokenizerName): Promise<TokenCounter> {
  if (name === 'cl100k_base') {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => countTokens(text);
  }
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  return (text) => countTokens(text);
}
