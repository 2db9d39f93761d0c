// The access log's Ed25519 keys (node:crypto). Its writers hold the private key as a file
// (never in Redis) and sign checkpoints, retention marks and archive manifests with it; a
// verifier holds public keys only, several of them so that a key can roll over. Each
// signature names its key by a key id: the first 16 hex digits of the SHA-256 of the
// public key (SubjectPublicKeyInfo, DER).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What a signature is over: the same key never signs one kind of statement as another. */
export type SignedKind = 'checkpoint' | 'retention mark' | 'archive manifest';

const signedBytes = (kind: SignedKind, text: string) => Buffer.from(`ciigraph access log ${kind} v1\n${text}`, 'utf8');

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface Signature {
  keyId: string;
  /** Ed25519 signature, base64url. */
  sig: string;
}

export class LogSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') throw new Error('not an Ed25519 private key');
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  sign(kind: SignedKind, text: string): Signature {
    return { keyId: this.keyId, sig: sign(null, signedBytes(kind, text), this.privateKey).toString('base64url') };
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** The public keys a verifier accepts, by key id. */
export class TrustedKeys {
  private readonly byId = new Map<string, KeyObject>();

  constructor(keys: Iterable<KeyObject>) {
    for (const k of keys) {
      if (k.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
      const pub = k.type === 'private' ? createPublicKey(k) : k;
      this.byId.set(keyIdOf(pub), pub);
    }
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get size(): number {
    return this.byId.size;
  }

  check(kind: SignedKind, text: string, signature: Signature): SignatureCheck {
    const key = this.byId.get(signature.keyId);
    if (!key) return { ok: false, reason: `signed by key ${signature.keyId}, which is not one of the log's keys (${this.ids.join(', ') || 'none configured'})` };
    let holds = false;
    try {
      holds = verify(null, signedBytes(kind, text), key, Buffer.from(signature.sig, 'base64url'));
    } catch {
      holds = false;
    }
    return holds ? { ok: true } : { ok: false, reason: `its signature does not verify with key ${signature.keyId}` };
  }
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the ${what} ${file}: ${(e as Error).message}`);
  }
}

/** The writers' key: an Ed25519 private key, PEM (PKCS#8). */
export function readSigningKey(file: string): LogSigner {
  const pem = readPem(file, 'access log signing key');
  try {
    return new LogSigner(createPrivateKey(pem));
  } catch (e) {
    throw new Error(`${file} is not an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519): ${(e as Error).message}`);
  }
}

/** A verifier's keys: Ed25519 public keys, PEM (a private key's file gives its public half). */
export function readPublicKey(file: string): KeyObject {
  const pem = readPem(file, 'access log public key');
  try {
    const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new Error(`${file} is not an Ed25519 public key in PEM: ${(e as Error).message}`);
  }
}

/** A key that lives as long as the process (development only: nothing it signed can be verified once it is gone, unless its public half was kept). */
export function ephemeralSigner(): LogSigner {
  return new LogSigner(generateKeyPairSync('ed25519').privateKey);
}

/** A new key pair as PEM (npm run docker:secrets, tests). */
export function newKeyPairPem(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
