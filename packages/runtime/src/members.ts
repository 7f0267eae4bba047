// Membership of a string in a fixed list (an enum's members, a literal list of the graph) by
// a perfect hash: a hash of the string's length and one of its characters under which every
// member has its own slot of a small table. A lookup is one load and one comparison, with no
// branch that depends on which member the value is: a `switch` or a chain of comparisons
// mispredicts on varied traffic, and a `Map` hashes the whole string. Shared by the
// interpreted router and the compiled modules `routelang compile --emit js` writes.

/** A hash `(raw.charCodeAt(p) * m + raw.length) & mask` (`raw.length & mask` when m is 0) and its table of members by slot. */
export interface MemberHash {
  readonly p: number;
  readonly m: number;
  readonly mask: number;
  readonly table: readonly (string | null)[];
}

/**
 * A perfect hash of `members` with a table of at most 8× their number (undefined when none
 * of the small family separates them, or there are more than 256 or duplicates).
 */
export function perfectHash(members: readonly string[]): MemberHash | undefined {
  if (members.length === 0 || members.length > 256) return undefined;
  const least = Math.max(1, Math.ceil(Math.log2(members.length)));
  const positions = Math.max(1, Math.min(8, ...members.map((s) => s.length)));
  for (let bits = least; bits <= least + 3; bits++) {
    const mask = (1 << bits) - 1;
    for (let p = 0; p < positions; p++) {
      for (let m = p === 0 ? 0 : 1; m < 64; m++) {
        const table: (string | null)[] = new Array(mask + 1).fill(null);
        let clash = false;
        for (const member of members) {
          const slot = hashSlot(member, p, m, mask);
          if (table[slot] !== null) {
            clash = true;
            break;
          }
          table[slot] = member;
        }
        if (!clash) return { p, m, mask, table };
      }
    }
  }
  return undefined;
}

/** The slot of `raw` under the hash (p, m, mask). Past the end of `raw`, charCodeAt is NaN and the slot 0. */
export function hashSlot(raw: string, p: number, m: number, mask: number): number {
  return m === 0 ? raw.length & mask : (raw.charCodeAt(p) * m + raw.length) & mask;
}

/** The position of a value in a fixed list of strings, or -1. */
export class MemberIndex {
  private readonly hash: MemberHash | undefined;
  /** By slot of the hash: the member's position in the list. */
  private readonly positions: Int32Array;
  private readonly p: number;
  private readonly m: number;
  private readonly mask: number;
  private readonly table: readonly (string | null)[];
  private readonly byName: ReadonlyMap<string, number> | undefined;

  /** The number of members. */
  readonly size: number;

  constructor(members: readonly string[]) {
    this.size = members.length;
    this.hash = perfectHash(members);
    const hash = this.hash;
    this.p = hash?.p ?? 0;
    this.m = hash?.m ?? 0;
    this.mask = hash?.mask ?? 0;
    this.table = hash?.table ?? [];
    this.positions = new Int32Array(this.table.length);
    if (hash) for (let i = 0; i < members.length; i++) this.positions[hashSlot(members[i] as string, this.p, this.m, this.mask)] = i;
    this.byName = hash ? undefined : new Map(members.map((member, i) => [member, i]));
  }

  /** The position of `value` among the members; -1 when it is not one (or not a string). */
  indexOf(value: unknown): number {
    if (typeof value !== 'string') return -1;
    if (this.byName) return this.byName.get(value) ?? -1;
    const slot = this.m === 0 ? value.length & this.mask : (value.charCodeAt(this.p) * this.m + value.length) & this.mask;
    return this.table[slot] === value ? (this.positions[slot] as number) : -1;
  }
}
