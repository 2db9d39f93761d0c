// Which keys a writer signs the access log with and which a verifier accepts, from the
// settings. Production: the configured key file, or the start stops. Development with no key
// configured: an ephemeral key, said so in the log; where the log outlives the process (Redis),
// its public half is kept in .ciigraph/audit-development-keys/ so that `npm run audit:verify`
// on the same machine can check what it signed. A verifier in production trusts only the
// configured keys.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { AuditConfig } from '../config.ts';
import { StartupError } from '../errors.ts';
import { log } from '../log.ts';
import { ephemeralSigner, readPublicKey, readSigningKey, TrustedKeys, type LogSigner } from './signing-keys.ts';

export interface WriterKeys {
  signer: LogSigner;
  /** What earlier checkpoints may be signed with: this key, the configured public keys (and development keys). */
  trusted: TrustedKeys;
  /** The key is an ephemeral development key. */
  ephemeral: boolean;
}

function developmentKeys(dir: string): KeyObject[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pem'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return [readPublicKey(join(dir, f))];
    } catch {
      return [];
    }
  });
}

function configuredPublicKeys(audit: AuditConfig, where: string): KeyObject[] {
  return audit.publicKeyFiles.map((f) => {
    try {
      return readPublicKey(f);
    } catch (e) {
      throw new StartupError(where, [`audit.publicKeyFiles (AUDIT_PUBLIC_KEY_FILES): ${(e as Error).message}`]);
    }
  });
}

/** The key a writer signs with; `keepsPublicHalf`: the log outlives this process (Redis). */
export function writerKeys(audit: AuditConfig, production: boolean, opts: { keepsPublicHalf: boolean }): WriterKeys {
  const where = audit.signingKeyFile ?? 'environment';
  let signer: LogSigner;
  let ephemeral = false;
  if (audit.signingKeyFile) {
    try {
      signer = readSigningKey(audit.signingKeyFile);
    } catch (e) {
      throw new StartupError(audit.signingKeyFile, [`audit.signingKeyFile (AUDIT_SIGNING_KEY_FILE): ${(e as Error).message}`]);
    }
  } else if (production) {
    throw new StartupError('environment', ['audit.signingKeyFile (AUDIT_SIGNING_KEY_FILE): required in production (the access log\'s checkpoints are signed with it)']);
  } else {
    signer = ephemeralSigner();
    ephemeral = true;
    let kept: string | undefined;
    if (opts.keepsPublicHalf) {
      mkdirSync(audit.developmentKeysDir, { recursive: true });
      kept = join(audit.developmentKeysDir, `${signer.keyId}.pem`);
      writeFileSync(kept, signer.publicKeyPem());
    }
    log.warn(
      { keyId: signer.keyId, ...(kept ? { publicKey: kept } : {}) },
      'access log: no signing key configured (AUDIT_SIGNING_KEY_FILE); checkpoints are signed with an ephemeral development key, never accepted in production',
    );
  }
  const trusted = new TrustedKeys([signer.publicKey, ...configuredPublicKeys(audit, where), ...(production ? [] : developmentKeys(audit.developmentKeysDir))]);
  return { signer, trusted, ephemeral };
}

/** The keys a verifier accepts: the configured public keys, the signing key's public half if it can be read, and outside production the development keys kept on this machine. */
export function verifierKeys(audit: AuditConfig, production: boolean): { trusted: TrustedKeys; development: number } {
  const keys = configuredPublicKeys(audit, audit.publicKeyFiles[0] ?? 'environment');
  if (audit.signingKeyFile) {
    try {
      keys.push(readPublicKey(audit.signingKeyFile));
    } catch (e) {
      if (!audit.publicKeyFiles.length) throw new StartupError(audit.signingKeyFile, [`audit.signingKeyFile (AUDIT_SIGNING_KEY_FILE): ${(e as Error).message}`]);
    }
  }
  const dev = production ? [] : developmentKeys(audit.developmentKeysDir);
  return { trusted: new TrustedKeys([...keys, ...dev]), development: dev.length };
}
