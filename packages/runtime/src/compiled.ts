// The contract of an ahead-of-time compiled decision module (`routelang compile POLICY
// --emit js`): plain JavaScript written at compile time — request validation and each
// route's decision graph as straight-line code — that a host reviews and ships beside the
// IR. `Router.load(ir, { compiled })` then validates and walks with it instead of the
// interpreted tables; results and errors are the same (test/compiled-decide.test.ts checks
// that on random valid and invalid requests). Nothing is generated or evaluated at load.

import type { PolicyIR, Value } from './ir.js';
import type { RequestError, RequestLimits } from './request.js';

/** The format a compiled module declares (`export const format`). */
export const COMPILED_FORMAT = 'routelang/decide@1';

/** What a compiled module asks of its caller while validating. */
export interface CompiledHost extends RequestLimits {
  /**
   * The label of the classified field at `slot` for `text` (its classifier's input), already
   * checked to be a member of the field's enum, or the error to report on that field.
   */
  classify(slot: number, text: string): string | RequestError;
}

/** Derived values of a validated request (`prompt.tokens`): `NormalizedRequest` has this. */
export interface DerivedReader {
  at(slot: number, part?: string): Value | undefined;
}

/** A compiled decision module, as imported (`import * as compiled from './policy.decide.js'`). */
export interface CompiledDecide {
  readonly format: string;
  /** `irFingerprint` of the IR it was compiled from: a router refuses any other IR. */
  readonly fingerprint: string;
  /** Route names by route index (null: the entry route), in the IR's order. */
  readonly routes: readonly (string | null)[];
  /**
   * Validates and normalises an untrusted request: the field values by slot (defaults
   * applied, classifiers run), or `{ errors }` with one error per bad field, ordered as
   * `normalizeRequest` orders them.
   */
  validate(input: unknown, host: CompiledHost): (Value | undefined)[] | { readonly errors: RequestError[] };
  /** Walks route `route`'s decision graph: the deciding rule's index, or -1 when none matches. */
  walk(route: number, values: readonly (Value | undefined)[], derived: DerivedReader): number;
  /**
   * Decides without the runtime: validation, then the walk from the entry route (or
   * `options.route`), following rules whose plan is a named route. The deciding rule, with
   * the rules followed to reach it (`via`) when there were any; or the errors.
   */
  decide(
    input: unknown,
    options?: {
      readonly route?: string;
      readonly countTokens?: (text: string) => number;
      readonly classify?: CompiledHost['classify'];
      readonly limits?: Partial<RequestLimits>;
    },
  ):
    | { readonly ok: true; readonly route: string | null; readonly rule: number; readonly via?: readonly { route: string | null; index: number }[] }
    | { readonly ok: false; readonly errors: readonly RequestError[] };
}

/**
 * A fingerprint of an IR artifact: 64 bits of FNV-1a over its JSON (two lanes). Not a
 * security measure — the module is code the host ships — but it stops a module compiled
 * from one policy being used with another.
 */
export function irFingerprint(ir: PolicyIR): string {
  const text = JSON.stringify(ir);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** Why a compiled module cannot serve an IR (empty when it can). */
export function compiledProblems(compiled: CompiledDecide, ir: PolicyIR): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (compiled.format !== COMPILED_FORMAT) out.push({ path: 'format', message: `is ${JSON.stringify(compiled.format)}, expected ${COMPILED_FORMAT}` });
  if (typeof compiled.validate !== 'function' || typeof compiled.walk !== 'function') out.push({ path: '', message: 'does not export validate() and walk()' });
  const expected = irFingerprint(ir);
  if (compiled.fingerprint !== expected) {
    out.push({
      path: 'fingerprint',
      message: `is ${compiled.fingerprint}, but the IR's is ${expected}: the module was compiled from another policy (recompile it with --emit js)`,
    });
  }
  return out;
}
