// What the importers share: their result, the notes they attach to positions of the original
// configuration (read with `yaml`, which keeps node positions; JSON is YAML), names made
// into Routelang identifiers (and mapped back), and literals.

import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { format } from '../format.js';

/** Something the importer says about the configuration, at a place in it. */
export interface ImportNote {
  /** `error`: the input is not a valid configuration of its kind (exit 2); `finding`: a problem in the configuration (exit 1); `note`: how something was translated. */
  readonly severity: 'error' | 'finding' | 'note';
  /** Where in the configuration, as a path (`router_settings.fallbacks[0]`). */
  readonly path: string;
  /** 1-based; 0 when the place has no position (a derived finding). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The result of an import: the policy text (absent when the input is invalid) and the notes. */
export interface ImportResult {
  readonly policy: string | undefined;
  readonly notes: readonly ImportNote[];
  /** Routelang identifier → the configuration's own name. */
  readonly names: ReadonlyMap<string, string>;
}

const KEYWORDS = new Set(
  'policy version import enum input model tool validator classifier route when otherwise assert budget test given expect because with fallback on cascade until try else split by fastest cheapest best deny and or not implies in contains true false from extern schema json not_empty per plan'.split(
    ' ',
  ),
);

/** Turns configuration names into unique Routelang identifiers, remembering the originals. */
export class Names {
  private readonly used = new Map<string, string>();
  private readonly byOriginal = new Map<string, string>();

  /**
   * The identifier for `original` in a namespace (`kind` keeps model and enum-member names
   * apart): the same one each time, or with `fresh` a new one even for an original seen
   * before (two things a configuration gives the same name).
   */
  id(original: string, kind = 'model', fresh = false): string {
    const key = `${kind}\u0000${original}`;
    const known = this.byOriginal.get(key);
    if (known && !fresh) return known;
    let base = original.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z_]+/, '');
    if (kind === 'member') base = base.replace(/-/g, '_');
    if (base === '') base = kind === 'member' ? 'value' : 'm';
    if (KEYWORDS.has(base)) base = `${base}_`;
    let name = base;
    for (let i = 2; this.used.has(`${kind}\u0000${name}`); i++) name = `${base}_${i}`;
    this.used.set(`${kind}\u0000${name}`, original);
    this.byOriginal.set(key, name);
    return name;
  }

  /** Identifier → original, for the models (what findings speak of). */
  originals(kind = 'model'): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, original] of this.used) {
      const [space, name] = k.split('\u0000') as [string, string];
      if (space === kind) out.set(name, original);
    }
    return out;
  }
}

/** A Routelang string literal. */
export function str(text: string): string {
  return JSON.stringify(text);
}

/** Dollars per token as a Routelang price (`$2.5 per 1M`). */
export function perMillion(dollarsPerToken: number): string {
  const perM = Number((dollarsPerToken * 1_000_000).toPrecision(10));
  return `$${perM} per 1M`;
}

/** Seconds as a Routelang duration. */
export function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** A finite non-negative number, or undefined. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) && Number(value) >= 0) return Number(value);
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A position in the configuration, with the path it was asked for. */
export interface Place {
  readonly line: number;
  readonly column: number;
  readonly path: string;
}

/**
 * Parses a configuration keeping positions: duplicate keys are errors, as are the parser's
 * own. Returns the document and a locator of paths, or the errors as notes.
 */
export function readDocument(
  text: string,
  options: { readonly merge?: boolean; readonly strict?: boolean } = {},
): { doc: Document; lines: LineCounter; errors: ImportNote[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines, prettyErrors: false, ...options });
  const errors = doc.errors.map((e): ImportNote => {
    const at = lines.linePos(e.pos[0]);
    return { severity: 'error', path: '', line: at.line, column: at.col, message: e.message.split('\n')[0] ?? e.message };
  });
  return { doc, lines, errors };
}

/**
 * A locator: the position of the key that holds `path` (a key reads better than its value),
 * else of its value, else of the nearest ancestor that exists; `root` when none does.
 */
export function locator(doc: Document, lines: LineCounter, root: { line: number; col: number }): (path: readonly (string | number)[]) => Place {
  return (path) => {
    let offset: number | undefined;
    for (let n = path.length; n > 0 && offset === undefined; n--) {
      const p = path.slice(0, n);
      offset = keyOffset(doc, p) ?? (doc.getIn(p, true) as { range?: [number, number, number] } | undefined)?.range?.[0];
    }
    const at = offset !== undefined ? lines.linePos(offset) : root;
    return { line: at.line, column: at.col, path: path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') };
  };
}

function keyOffset(doc: Document, path: readonly (string | number)[]): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
    return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
  }
  if (isSeq(parent) && typeof last === 'number') return (parent.items[last] as { range?: [number, number, number] } | undefined)?.range?.[0];
  return undefined;
}

/**
 * The generated policy in canonical form, as `routelang fmt` writes it: what the user checks
 * in must already pass `fmt --check`. Text that does not parse (an importer bug) is returned
 * as it is, so `check` reports it where it is wrong.
 */
export function canonical(policy: string, file: string): string {
  const formatted = format(policy, file);
  return formatted.ok ? formatted.text : policy;
}
