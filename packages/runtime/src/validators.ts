// Scorers for the policy's validators: host functions (`extern`), JSON Schemas (`schema`,
// checked with ajv, compiled once at load), `json` (the answer parses) and `not_empty`.
// Each returns a score in [0, 1]; the schema and json validators score 1 or 0.

import { createRequire } from 'node:module';
import type { Scorer } from './execute.js';
import type { Validator } from './ir.js';

const require = createRequire(import.meta.url);

interface ScorerOptions {
  readonly validators?: Readonly<Record<string, Scorer>>;
  readonly schemas?: Readonly<Record<string, object>>;
}

/** The scorers, and what the host failed to provide. */
export function buildScorers(
  validators: readonly Validator[],
  options: ScorerOptions,
): { scorers: Map<string, Scorer>; missing: { path: string; message: string }[] } {
  const scorers = new Map<string, Scorer>();
  const missing: { path: string; message: string }[] = [];
  for (const v of validators) {
    switch (v.kind) {
      case 'extern': {
        const fn = options.validators?.[v.function];
        if (typeof fn === 'function') scorers.set(v.name, fn);
        else missing.push({ path: `/validators/${v.function}`, message: `no scorer for \`validator ${v.name} = extern "${v.function}"\`` });
        break;
      }
      case 'schema': {
        const schema = options.schemas?.[v.path];
        if (!schema) {
          missing.push({ path: `/schemas/${v.path}`, message: `no JSON Schema for \`validator ${v.name} = schema "${v.path}"\`` });
          break;
        }
        // ajv generates code for the schema: this is the one place run() needs code generation.
        const Ajv = require('ajv').default as new (o: object) => { compile(s: object): (d: unknown) => boolean };
        const check = new Ajv({ allErrors: false, strict: false }).compile(schema);
        scorers.set(v.name, (answer) => {
          try {
            return check(JSON.parse(answer)) ? 1 : 0;
          } catch {
            return 0;
          }
        });
        break;
      }
      case 'json':
        scorers.set(v.name, (answer) => {
          try {
            JSON.parse(answer);
            return 1;
          } catch {
            return 0;
          }
        });
        break;
      case 'not_empty':
        scorers.set(v.name, (answer) => (answer.trim().length > 0 ? 1 : 0));
        break;
    }
  }
  return { scorers, missing };
}
