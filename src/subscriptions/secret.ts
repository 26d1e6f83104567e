import { randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
/** Standard Webhooks suggests keys of 24 to 64 bytes; fewer than 16 is refused as guessable. */
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;
const GENERATED_KEY_BYTES = 32;

/** A new secret: `whsec_` and 32 random bytes in base64. */
export function newSecret(): string {
  return `${PREFIX}${randomBytes(GENERATED_KEY_BYTES).toString('base64')}`;
}

/** Why `secret` is not a usable `whsec_` secret, or null. */
export function secretProblem(secret: string): string | null {
  if (!secret.startsWith(PREFIX)) return 'must start with "whsec_" followed by a base64 key (leave it out to have one generated)';
  const body = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return 'the part after "whsec_" must be base64';
  const bytes = Buffer.from(body, 'base64').length;
  if (bytes < MIN_KEY_BYTES || bytes > MAX_KEY_BYTES) return `the key must be ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes; it is ${bytes}`;
  return null;
}

/** The HMAC key a `whsec_` secret holds. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}
