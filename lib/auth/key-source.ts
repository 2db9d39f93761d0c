// Where a verifier gets the public keys of whoever signs what it verifies: a fixed set (PEM
// files), or a JWKS URL (an identity provider's, or the gateway's own /credential-keys).
// A JWKS is fetched once, used for refreshIntervalMs, then fetched again in the background;
// a fetch that fails keeps the keys already known. A token naming a key not yet known asks
// for a fetch that starts after it asked (so a key published a moment ago is found), at most
// one per minRefetchIntervalMs and one at a time: callers wait for it instead of failing, so a
// key rotation costs no request, and a flood of unknown key ids costs the provider nothing more.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { z } from 'zod';
import { StartupError } from '../errors.ts';
import { httpCall, type HttpCaller } from '../http-client.ts';
import { log } from '../log.ts';

export interface KeySource {
  /** What the keys are (for logs and readiness). */
  readonly name: string;
  /** The keys known now, loading them first if none was ever loaded. */
  keys(): Promise<readonly JWK[]>;
  /** The keys after a fetch that started after this call (bounded rate); a fixed set answers at once. */
  refetch(): Promise<readonly JWK[]>;
  /** Whether any key is known. */
  loaded(): boolean;
  close(): void;
}

/** A JWK for a PEM public key (its kid: the RFC 7638 thumbprint, when the caller gives one). */
export function pemToJwk(pem: string, kid?: string): JWK {
  const jwk = createPublicKey(pem).export({ format: 'jwk' }) as JWK;
  return { ...jwk, ...(kid ? { kid } : {}) };
}

export class StaticKeySource implements KeySource {
  private readonly set: readonly JWK[];

  constructor(
    readonly name: string,
    keys: readonly JWK[],
  ) {
    this.set = keys;
  }

  static fromPemFiles(name: string, files: readonly string[]): StaticKeySource {
    return new StaticKeySource(
      name,
      files.map((file) => {
        try {
          return pemToJwk(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new StartupError(file, [`not a readable PEM public key: ${(e as Error).message}`]);
        }
      }),
    );
  }

  keys = async () => this.set;
  refetch = async () => this.set;
  loaded = () => this.set.length > 0;
  close() {}
}

const Jwks = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

export interface RemoteKeySourceOptions {
  refreshIntervalMs: number;
  minRefetchIntervalMs: number;
  timeoutMs: number;
  /** The HTTP client (CA bundle, answer-size cap); default: system CAs. */
  call?: HttpCaller;
  /** Most bytes a JWKS may have. */
  maxBytes?: number;
}

export class RemoteKeySource implements KeySource {
  readonly name: string;
  private current: readonly JWK[] | undefined;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private pending: Promise<readonly JWK[]> | undefined;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly url: string,
    private readonly opts: RemoteKeySourceOptions,
  ) {
    this.name = url;
  }

  loaded = () => (this.current?.length ?? 0) > 0;

  async keys(): Promise<readonly JWK[]> {
    if (this.current === undefined) {
      await this.fetchOnce();
      return this.current ?? [];
    }
    // Stale: fetched again in the background, the known keys serve meanwhile.
    if (Date.now() - this.fetchedAt >= this.opts.refreshIntervalMs && !this.inflight && this.mayFetchNow()) void this.fetchOnce();
    return this.current;
  }

  refetch(): Promise<readonly JWK[]> {
    // Callers that arrive while a fetch waits for its turn share it; once it has started, a new
    // caller waits for the next one (it may be asking about a key published after that start).
    if (this.pending) return this.pending;
    const turn = async () => {
      if (this.inflight) await this.inflight;
      const wait = this.lastAttemptAt + this.opts.minRefetchIntervalMs - Date.now();
      if (wait > 0) await this.sleep(wait);
    };
    const pending: Promise<readonly JWK[]> = turn()
      .then(() => {
        if (this.pending === pending) this.pending = undefined;
        return this.fetchOnce();
      })
      .then(() => this.current ?? []);
    this.pending = pending;
    return pending;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
  }

  private mayFetchNow = () => Date.now() - this.lastAttemptAt >= this.opts.minRefetchIntervalMs;

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.timers.add(t);
    });
  }

  /** One fetch at a time; a failure keeps the keys already known. */
  private fetchOnce(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.inflight ??= (async () => {
      this.lastAttemptAt = Date.now();
      try {
        const res = await (this.opts.call ?? httpCall)(this.url, { headers: { accept: 'application/json' } }, this.opts.timeoutMs);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const parsed = Jwks.safeParse(await res.json());
        if (!parsed.success) throw new Error('not a JWKS (RFC 7517: {"keys": [...]})');
        // Signature keys only: a key marked for encryption never verifies a token.
        this.current = parsed.data.keys.filter((k) => k.use === undefined || k.use === 'sig') as JWK[];
        this.fetchedAt = Date.now();
      } catch (e) {
        log.warn({ jwks: this.url, reason: (e as Error).message }, 'key set not fetched; the keys already known stay in use');
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
