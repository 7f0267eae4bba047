// API keys per tenant. `routelang keys add --tenant acme` makes a random key, prints it
// once, and appends only its SHA-256 digest to the keys file (JSON lines:
// `{ "tenant", "sha256", "created" }`), so the file holds nothing a thief could call with.
// A request's key is hashed and looked up by digest, then compared with `timingSafeEqual`:
// the time taken depends on the digest, never on how much of a key was guessed right.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { RateWindows } from '@routelang/runtime';

export interface KeyRecord {
  /** The tenant whose requests the key makes ("" for an admin key). */
  readonly tenant: string;
  readonly sha256: string;
  readonly created: string;
  /**
   * `admin`: the key opens the operator's pages (`/dashboard`) and makes no model calls
   * (least privilege: a leaked dashboard key spends nothing). Absent: a tenant's key.
   */
  readonly role?: 'admin';
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** Makes a key for `tenant`, appends its digest to `file`, and returns the key (shown once). */
export function addKey(file: string, tenant: string, now = new Date()): string {
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(tenant)) throw new Error(`a tenant is 1 to 128 letters, digits, \`_\`, \`.\`, \`:\` or \`-\`, not "${tenant}"`);
  return appendKey(file, { tenant, created: now.toISOString() });
}

/** Makes an admin key (it opens `/dashboard`, it makes no model calls), appends its digest to `file`, and returns it (shown once). */
export function addAdminKey(file: string, now = new Date()): string {
  return appendKey(file, { tenant: '', created: now.toISOString(), role: 'admin' });
}

function appendKey(file: string, record: Omit<KeyRecord, 'sha256'>): string {
  const key = `rl-${randomBytes(24).toString('base64url')}`;
  const { tenant, created, role } = record;
  appendFileSync(file, `${JSON.stringify({ tenant, sha256: digest(key).toString('hex'), created, ...(role ? { role } : {}) })}\n`, { mode: 0o600 });
  return key;
}

/** The keys of a keys file, by digest. */
export class KeyStore {
  private readonly byDigest = new Map<string, { tenant: string; digest: Buffer; admin: boolean }>();

  constructor(records: readonly KeyRecord[]) {
    for (const r of records) this.byDigest.set(r.sha256, { tenant: r.tenant, digest: Buffer.from(r.sha256, 'hex'), admin: r.role === 'admin' });
  }

  /** Reads a keys file; a malformed line is an error naming its line number. */
  static load(file: string): KeyStore {
    if (!existsSync(file)) throw new Error(`the keys file ${file} does not exist (make one with \`routelang keys add --tenant NAME --keys ${file}\`)`);
    const records: KeyRecord[] = [];
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let r: Partial<KeyRecord>;
        try {
          r = JSON.parse(line) as Partial<KeyRecord>;
        } catch {
          throw new Error(`${file}:${i + 1}: not a JSON object`);
        }
        if (typeof r.tenant !== 'string' || typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) {
          throw new Error(`${file}:${i + 1}: a key record is { "tenant": "…", "sha256": "<64 hex digits>" }`);
        }
        if (r.role !== undefined && r.role !== 'admin') throw new Error(`${file}:${i + 1}: a key's "role" is "admin" or absent, not ${JSON.stringify(r.role)}`);
        records.push({ tenant: r.tenant, sha256: r.sha256, created: String(r.created ?? ''), ...(r.role ? { role: r.role } : {}) });
      });
    return new KeyStore(records);
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The tenant of a presented key, or undefined (also for an admin key: it makes no model calls). */
  tenantOf(key: string): string | undefined {
    const found = this.find(key);
    return found && !found.admin ? found.tenant : undefined;
  }

  /** Whether a presented key is an admin key. */
  isAdmin(key: string): boolean {
    return this.find(key)?.admin === true;
  }

  /** How many admin keys the store holds. */
  get admins(): number {
    let n = 0;
    for (const k of this.byDigest.values()) if (k.admin) n++;
    return n;
  }

  private find(key: string): { tenant: string; admin: boolean } | undefined {
    const d = digest(key);
    const found = this.byDigest.get(d.toString('hex'));
    return found && timingSafeEqual(found.digest, d) ? found : undefined;
  }
}

/** Requests per minute per key, in this process: a sliding one-minute window (see `RateWindows`). */
export class RateLimiter {
  private readonly windows: RateWindows;

  constructor(
    private readonly perMinute: number,
    now: () => number = Date.now,
  ) {
    this.windows = new RateWindows(now);
  }

  /** Takes one request for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    return Math.ceil(this.windows.take(key, this.perMinute, 60_000) / 1000);
  }

  /** The limiter as a take function returning milliseconds (what a shared store's `take` returns). */
  asTake(): (key: string) => number {
    return (key) => this.windows.take(key, this.perMinute, 60_000);
  }
}
