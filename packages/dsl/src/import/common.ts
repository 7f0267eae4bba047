// What the importers share: their result, the notes they attach to positions of the original
// configuration, names made into Routelang identifiers (and mapped back), and literals.

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

  /** The identifier for `original` in a namespace (`kind` keeps model and enum-member names apart). */
  id(original: string, kind = 'model'): string {
    const key = `${kind}\u0000${original}`;
    const known = this.byOriginal.get(key);
    if (known) return known;
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
