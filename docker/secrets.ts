// `npm run docker:secrets [-- --out <dir>] [--force]`: the key files docker-compose.yml mounts
// as secrets, generated locally for a production-like run on one machine (default
// docker/secrets/, ignored by git and by the image build). A real deployment takes them from
// its identity provider and its secret store instead; the formats are the same:
//   jwt-public-key.pem                   the identity provider's EC P-256 public key (gateway)
//   idp-private-key.pem                  its private half: stands in for the identity provider
//                                        (docker/idp-token.ts); mounted nowhere
//   gateway-credential-private-key.pem   EC P-256, signs the gateway → subgraph credentials (gateway only)
//   gateway-credential-public-key.pem    verifies them (subgraphs only)
//   consent-signing-key                  hex HMAC key of the stored consents, 32 bytes (subgraphs)
//   audit-signing-key.pem                Ed25519, signs the access log's checkpoints (subgraphs, npm run audit:archive)
//   audit-public-key.pem                 its public half: what npm run audit:verify checks them with; mounted nowhere
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { newKeyPairPem } from '../lib/audit/signing-keys.ts';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { answerHelp } from '../bin/cli.ts';

export const SECRETS_DIR = fileURLToPath(new URL('./secrets/', import.meta.url));

export const SECRET_FILES = {
  jwtPublicKey: 'jwt-public-key.pem',
  idpPrivateKey: 'idp-private-key.pem',
  credentialPrivateKey: 'gateway-credential-private-key.pem',
  credentialPublicKey: 'gateway-credential-public-key.pem',
  consentSigningKey: 'consent-signing-key',
  auditSigningKey: 'audit-signing-key.pem',
  auditPublicKey: 'audit-public-key.pem',
} as const;
export type SecretName = keyof typeof SECRET_FILES;

function ecPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Writes a fresh set into `dir`; refuses to replace an existing one unless `force`. Returns each file's path. */
export function writeSecrets(dir = SECRETS_DIR, opts: { force?: boolean } = {}): Record<SecretName, string> {
  const paths = Object.fromEntries(Object.entries(SECRET_FILES).map(([k, f]) => [k, join(dir, f)])) as Record<SecretName, string>;
  const existing = Object.values(paths).filter((p) => existsSync(p));
  if (existing.length && !opts.force) throw new Error(`already there (use --force to replace, which invalidates every stored consent's signature): ${existing.join(', ')}`);
  mkdirSync(dir, { recursive: true });
  const idp = ecPair();
  const credential = ecPair();
  // Owner-only: compose bind-mounts them as they are; the containers run as the host user
  // (CIIGRAPH_UID/CIIGRAPH_GID in docker-compose.yml), so they stay readable there.
  const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o600 });
  write(paths.idpPrivateKey, idp.privateKey);
  write(paths.jwtPublicKey, idp.publicKey);
  write(paths.credentialPrivateKey, credential.privateKey);
  write(paths.credentialPublicKey, credential.publicKey);
  write(paths.consentSigningKey, `${randomBytes(32).toString('hex')}\n`);
  const audit = newKeyPairPem();
  write(paths.auditSigningKey, audit.privateKey);
  write(paths.auditPublicKey, audit.publicKey);
  return paths;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  answerHelp(`usage: npm run docker:secrets [-- --out DIR] [--force]
  Writes the key files docker-compose.yml and deploy/kubernetes mount (default DIR:
  docker/secrets/, git-ignored): ${Object.values(SECRET_FILES).join(', ')}.
  Refuses to replace existing files without --force (a new consent signing key invalidates
  every stored consent's signature; a new access log key needs the old public key kept in
  AUDIT_PUBLIC_KEY_FILES for the checkpoints it signed).`);
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean', default: false } }, strict: true });
    const paths = writeSecrets(values.out ?? SECRETS_DIR, { force: values.force });
    console.log(`wrote\n  ${Object.values(paths).join('\n  ')}`);
  } catch (e) {
    console.error(`docker:secrets: ${(e as Error).message}`);
    process.exit(2);
  }
}
