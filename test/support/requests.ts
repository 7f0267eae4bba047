// Random requests for a generated policy: values near the constants its conditions
// mention (just below, at and above each bound), other values, and omitted fields.

import type { GeneratedPolicy, Rng } from './generate.js';
import type { Scalar } from './interpreter.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];

/** A random valid request for `policy`. */
export function randomRequest(policy: GeneratedPolicy, rng: Rng): Record<string, Scalar> {
  const request: Record<string, Scalar> = {};
  const near = (field: string, fallback: number[]): number => {
    const seen = (policy.literals.get(field) ?? []).filter((v): v is number => typeof v === 'number');
    const pool = seen.length > 0 ? seen : fallback;
    const base = rng.pick(pool);
    return Math.max(0, base + rng.pick([-1, 0, 0, 1, 1000, -1000]));
  };
  // The prompt: words (some that conditions look for), sized around the token bounds mentioned.
  const tokens = near('prompt.tokens', [5]);
  const words = Math.max(1, Math.min(tokens, 12_000));
  const parts: string[] = [];
  for (let i = 0; i < Math.min(words, 8); i++) parts.push(rng.pick(WORDS));
  request.prompt = parts.join(' ') + (words > 8 ? ' x'.repeat(words - 8) : '');
  for (const f of policy.fields) {
    if (f.hasDefault && rng.chance(0.3)) continue;
    switch (f.kind) {
      case 'bool':
        request[f.name] = rng.chance(0.5);
        break;
      case 'int':
        request[f.name] = near(f.name, [0, 10]) * (rng.chance(0.1) ? -1 : 1);
        break;
      case 'enum':
        request[f.name] = rng.pick(f.members ?? ['a']);
        break;
      case 'string':
        request[f.name] = rng.chance(0.7) ? rng.pick(WORDS) : `${rng.pick(WORDS)}-${rng.int(0, 9)}`;
        break;
      case 'number': {
        const seen = (policy.literals.get(f.name) ?? []).filter((v): v is number => typeof v === 'number');
        request[f.name] = rng.pick(seen.length > 0 ? seen : [1]) + rng.pick([-0.5, -0.25, 0, 0, 0.25, 0.5]);
        break;
      }
      case 'duration': {
        const seen = (policy.literals.get(f.name) ?? []).filter((v): v is number => typeof v === 'number');
        request[f.name] = Math.max(0, rng.pick(seen.length > 0 ? seen : [1000]) + rng.pick([-1, -0.5, 0, 0, 0.5, 1, 250]));
        break;
      }
      case 'tokens':
        request[f.name] = near(f.name, [1000]);
        break;
      case 'list':
        request[f.name] = WORDS.filter(() => rng.chance(0.4));
        break;
    }
  }
  return request;
}

/** A cheap, deterministic token counter for differential tests: one token per space-separated word. */
export function wordCount(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) === 32;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}
