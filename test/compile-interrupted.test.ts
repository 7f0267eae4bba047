// `compilePolicy(…, { interrupted })`: the graph build and the analyses ask every few thousand
// steps and stop with CompileInterrupted when told to (the language server's analysis worker,
// after a newer edit); a caller that never says so gets exactly the result of a plain compile.

import { describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../bench/policy-generator.js';
import { CompileInterrupted, compilePolicy, nodeHost } from '../packages/dsl/src/index.js';

const host = (lines: number) => {
  const path = `/virtual/interrupt-${lines}.route`;
  return { path, host: nodeHost(new Map([[path, generateLargePolicy(lines)]])) };
};

describe('an interrupted compile', () => {
  it('stops at the first question after it is told to, with CompileInterrupted', () => {
    const { path, host: h } = host(500);
    let asked = 0;
    let error: unknown;
    try {
      compilePolicy(path, h, { interrupted: () => ++asked >= 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileInterrupted);
    expect(asked).toBe(3);
  });

  it('is asked throughout a long build, and a caller that never interrupts gets the plain result', () => {
    const { path, host: h } = host(500);
    let asked = 0;
    const watched = compilePolicy(path, h, {
      interrupted: () => {
        asked++;
        return false;
      },
    });
    const plain = compilePolicy(path, h);
    expect(asked).toBeGreaterThan(20);
    expect(watched.diagnostics).toEqual(plain.diagnostics);
    expect(watched.ir).toEqual(plain.ir);
  });
});
