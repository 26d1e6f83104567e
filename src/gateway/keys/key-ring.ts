import { createHash, hash } from 'node:crypto';
import type { ApiKey } from './key-file.js';
import { SCOPES } from './scopes.js';
import { TokenBucket } from './token-bucket.js';

/** Most `Authorization` headers the ring remembers the key of (see `findByHeader`). */
const REMEMBERED_HEADERS = 1000;

/** SHA-256 of a key as given, the form the keys file stores. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * The keys the gateway accepts: those of `SLUICE_API_KEYS` (every scope, named
 * `SLUICE_API_KEYS#1`, `#2`, … in logs and metrics) and those of the keys file, which can be
 * replaced while the gateway runs. Rate buckets live here, by key name, and survive a reload
 * when the key's rate did not change.
 */
export class KeyRing {
  private fileKeys: readonly ApiKey[] = [];
  /** Every key by the hex SHA-256 of its text. */
  private byHash: ReadonlyMap<string, ApiKey>;
  private readonly buckets = new Map<string, TokenBucket>();
  /** The key of each `Authorization` header recently found valid, exactly as sent; emptied by every reload. */
  private readonly byHeader = new Map<string, ApiKey>();

  constructor(private readonly envKeys: readonly ApiKey[] = []) {
    this.byHash = byHash(envKeys);
  }

  /** Keys from `SLUICE_API_KEYS`: each has every scope, any type, no rate. */
  static fromEnvironment(keys: readonly string[]): KeyRing {
    return new KeyRing(keys.map((key, i) => ({ name: `SLUICE_API_KEYS#${i + 1}`, digest: keyDigest(key), scopes: new Set(SCOPES), types: null, typesPattern: null, ratePerSecond: null, burst: null })));
  }

  /** Replaces the keys-file keys (a reload). */
  replaceFileKeys(keys: readonly ApiKey[]): void {
    this.fileKeys = keys;
    this.byHash = byHash([...this.envKeys, ...keys]);
    // A removed or changed key must stop working at once: forget every header found before.
    this.byHeader.clear();
    const limits = new Map(keys.map((k) => [k.name, k]));
    for (const [name, bucket] of this.buckets) {
      const key = limits.get(name);
      if (key?.ratePerSecond !== bucket.ratePerSecond || key.burst !== bucket.capacity) this.buckets.delete(name);
    }
  }

  get fileKeyCount(): number {
    return this.fileKeys.length;
  }

  /**
   * The key whose hash matches `given`, or undefined. The key's text is never compared: its
   * SHA-256 is looked up, so the lookup's timing can tell at most how much of a hash matched,
   * which says nothing about any key (finding a text with a given hash is the preimage
   * problem). About 1 µs a request; comparing the digest with each stored one in
   * timingSafeEqual took 11 µs with ten keys, a tenth of the gateway's time per event.
   */
  find(given: string): ApiKey | undefined {
    return this.byHash.get(hash('sha256', given));
  }

  /**
   * The key of an `Authorization: Bearer KEY` header, or undefined (no bearer key, or not a
   * valid one). A client sends the same header with every request, so the key of a valid
   * header is remembered by the header's exact text: a Map lookup (0.05 µs) instead of the
   * SHA-256 (0.5-1.5 µs under load) and the header's parsing. Only valid headers are
   * remembered, so unknown keys cannot fill the Map; at most REMEMBERED_HEADERS are (the
   * oldest goes first), for a client that varies the header. The lookup hashes the text with
   * V8's per-process seeded string hash and compares it only with a remembered header of the
   * same hash, so its timing tells nothing about a key either. This holds the text of keys in
   * use in memory, as each request's headers are anyway.
   */
  findByHeader(header: string): ApiKey | undefined {
    const known = this.byHeader.get(header);
    if (known !== undefined) return known;
    const given = bearerKey(header);
    const key = given === undefined ? undefined : this.find(given);
    if (key !== undefined) {
      if (this.byHeader.size >= REMEMBERED_HEADERS) this.byHeader.delete(this.byHeader.keys().next().value!);
      this.byHeader.set(header, key);
    }
    return key;
  }

  /** Milliseconds until the key may send again; 0: it may now (a token was taken). */
  takeToken(key: ApiKey, nowMs: number): number {
    if (key.ratePerSecond === null || key.burst === null) return 0;
    let bucket = this.buckets.get(key.name);
    if (bucket === undefined) {
      bucket = new TokenBucket(key.ratePerSecond, key.burst, nowMs);
      this.buckets.set(key.name, bucket);
    }
    return bucket.take(nowMs);
  }
}

/** The key of an `Authorization: Bearer KEY` header (the scheme in any case), or undefined for another header. */
export function bearerKey(header: string): string | undefined {
  return header.length > 7 && header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : undefined;
}

function byHash(keys: readonly ApiKey[]): Map<string, ApiKey> {
  return new Map(keys.map((k) => [k.digest.toString('hex'), k]));
}

/** May `key` send events of `type`? */
export function keyAllowsType(key: ApiKey, type: string): boolean {
  return key.typesPattern === null || key.typesPattern.test(type);
}
