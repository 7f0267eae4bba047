// Random editing sessions for the incremental lexer and parser tests: a generated policy, then
// a sequence of insertions and deletions anywhere (of the given fragments), checked after each.

import fc from 'fast-check';
import { generatePolicy } from './generate.js';

const arbEdit = (fragments: readonly string[]) =>
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    remove: fc.nat({ max: 12 }),
    insert: fc.array(fc.constantFrom(...fragments), { maxLength: 3 }),
  });

function apply(text: string, e: { at: number; remove: number; insert: string[] }): string {
  const at = Math.floor(e.at * text.length);
  return text.slice(0, at) + e.insert.join('') + text.slice(at + e.remove);
}

let sessions = 0;

/**
 * Runs `check(text, file)` on a generated policy and after every edit of random edit sequences
 * (300 sessions, one file name each, so state kept per file carries from edit to edit).
 */
export function checkEverySession(fragments: readonly string[], check: (text: string, file: string) => void, options: { maxRules?: number } = {}): void {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(arbEdit(fragments), { minLength: 1, maxLength: 8 }), (seed, edits) => {
      const file = `/virtual/editing-${sessions++}.route`;
      let text = generatePolicy(seed, options).text;
      check(text, file);
      for (const e of edits) {
        text = apply(text, e);
        check(text, file);
      }
    }),
    { numRuns: 300 },
  );
}
