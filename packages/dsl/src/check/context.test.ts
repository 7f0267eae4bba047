import { describe, expect, it } from 'vitest';
import { closest, editDistance, listNames } from './context.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and transpositions as one edit each', () => {
    expect(editDistance('frontier', 'frontier', 3)).toBe(0);
    expect(editDistance('fronter', 'frontier', 3)).toBe(1);
    expect(editDistance('frontierr', 'frontier', 3)).toBe(1);
    expect(editDistance('frontiar', 'frontier', 3)).toBe(1);
    expect(editDistance('fronteir', 'frontier', 3)).toBe(1);
  });
  it('stops early above the limit', () => {
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });
});

describe('closest', () => {
  it('suggests a likely typo and nothing for unrelated names', () => {
    expect(closest('fronteir', ['mini', 'frontier', 'local'])).toBe('frontier');
    expect(closest('gpt5', ['mini', 'frontier'])).toBeUndefined();
    expect(closest('Mini', ['mini'])).toBe('mini');
  });
  it('does not suggest for a one-letter name it would replace entirely', () => {
    expect(closest('c', ['a', 'b'])).toBeUndefined();
  });
});

describe('listNames', () => {
  it('joins with commas and a conjunction', () => {
    expect(listNames(['a'])).toBe('`a`');
    expect(listNames(['a', 'b'])).toBe('`a` or `b`');
    expect(listNames(['a', 'b', 'c'], 'and')).toBe('`a`, `b` and `c`');
  });
});
