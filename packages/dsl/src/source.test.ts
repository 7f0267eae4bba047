import { describe, expect, it } from 'vitest';
import { SourceFile } from './source.js';

describe('SourceFile', () => {
  const file = new SourceFile('x.route', 'ab\ncd\r\n\nef');
  it('maps offsets to 1-based lines and columns and back', () => {
    expect(file.position(0)).toEqual({ line: 1, column: 1 });
    expect(file.position(3)).toEqual({ line: 2, column: 1 });
    expect(file.position(8)).toEqual({ line: 4, column: 1 });
    expect(file.position(10)).toEqual({ line: 4, column: 3 });
    for (let offset = 0; offset <= file.text.length; offset++) expect(file.offsetAt(file.position(offset))).toBe(offset);
  });
  it('returns line text without the line break', () => {
    expect(file.lineText(2)).toBe('cd');
    expect(file.lineText(3)).toBe('');
    expect(file.lineText(9)).toBe('');
  });
  it('clamps offsets outside the text', () => {
    expect(file.position(-5)).toEqual({ line: 1, column: 1 });
    expect(file.position(999)).toEqual({ line: 4, column: 3 });
  });
});
