// HMAC-SHA256 over a record's canonical form: what the consent and case stores sign each stored
// record with, so that a record altered in Redis by someone without the key is not honoured.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The stores' signing key from its file (hex, at least 32 bytes); throws saying what is wrong. */
export function readSigningKeyFile(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length < 32) throw new Error('shorter than 32 bytes');
  return key;
}

export class HmacSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the store signing key must be at least 32 bytes');
  }

  signature(canonical: string): string {
    return createHmac('sha256', this.key).update(canonical).digest('hex');
  }

  holds(canonical: string, signature: unknown): boolean {
    if (typeof signature !== 'string') return false;
    const expected = Buffer.from(this.signature(canonical), 'hex');
    const actual = Buffer.from(signature, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
