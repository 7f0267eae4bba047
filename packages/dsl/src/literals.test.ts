import { describe, expect, it } from 'vitest';
import { decodeMoney, decodeNumber, decodeString } from './literals.js';

describe('decodeNumber', () => {
  it.each([
    ['800', 800, 'none'],
    ['0.8', 0.8, 'none'],
    ['8k', 8_000, 'count'],
    ['1M', 1_000_000, 'count'],
    ['0.15k', 150, 'count'],
    ['1.5M', 1_500_000, 'count'],
    ['250ms', 250, 'duration'],
    ['2s', 2_000, 'duration'],
    ['1m', 60_000, 'duration'],
    ['1h', 3_600_000, 'duration'],
    ['90%', 90, 'percent'],
    ['33.33%', 33.33, 'percent'],
  ])('%s is %d (%s)', (raw, value, unit) => {
    expect(decodeNumber(raw)).toEqual({ ok: true, value, unit });
  });

  it('reports an unknown unit', () => {
    expect(decodeNumber('5x')).toEqual({ ok: false, unit: 'x', value: 5 });
    expect(decodeNumber('8kb')).toEqual({ ok: false, unit: 'kb', value: 8 });
  });
});

describe('decodeMoney', () => {
  it('reads dollars with optional k/M', () => {
    expect(decodeMoney('$0.15')).toEqual({ ok: true, value: 0.15 });
    expect(decodeMoney('$2k')).toEqual({ ok: true, value: 2_000 });
    expect(decodeMoney('$1.5M')).toEqual({ ok: true, value: 1_500_000 });
    expect(decodeMoney('$5usd')).toEqual({ ok: false, unit: 'usd', value: 5 });
  });
});

describe('decodeString', () => {
  it('decodes JSON escapes', () => {
    expect(decodeString('"a\\"b\\\\c\\n\\u00e9"')).toEqual({ ok: true, value: 'a"b\\c\né' });
  });
  it('points at the first bad escape', () => {
    expect(decodeString('"ab\\q"')).toMatchObject({ ok: false, badEscapeAt: 3 });
  });
  it('tolerates a missing closing quote', () => {
    expect(decodeString('"open')).toEqual({ ok: true, value: 'open' });
  });
});
