// The one typed client an institutional subgraph uses to read its registry: base URL from
// configuration, a deadline on every call (one quick retry within it for a transient
// failure: a lookup is a read), a circuit breaker so a dead registry fails fast, and every
// response validated with zod before any of it reaches a resolver.
import { z } from 'zod';
import { errors } from '../../lib/errors.ts';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from '../../lib/resilience/circuit-breaker.ts';
import { guardedFetch } from '../../lib/resilience/guarded-fetch.ts';
import type { HttpCaller } from '../../lib/http-client.ts';
import { LOOKUP_PATH, type LookupRequest } from './registry-schema.ts';
import { log } from '../../lib/log.ts';
import { registryDuration, timed } from '../../lib/observability/metrics.ts';

export interface RegistryClientOptions<R extends { avs: string }> {
  institution: string;
  baseUrl: string;
  timeoutMs: number;
  record: z.ZodType<R>;
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  /** The registries' client (CA bundle, client certificate, answer-size cap). */
  call?: HttpCaller;
}

export type FileLookup = LookupRequest['requests'][number];

export class RegistryClient<R extends { avs: string }> {
  private readonly endpoint: string;
  private readonly response: z.ZodType<{ files: R[] }>;
  private readonly breaker: CircuitBreaker;

  constructor(private readonly opts: RegistryClientOptions<R>) {
    this.breaker = new CircuitBreaker(`registry ${opts.institution}`, opts.breaker);
    this.endpoint = `${opts.baseUrl.replace(/\/$/, '')}${LOOKUP_PATH}`;
    this.response = z.object({ files: z.array(opts.record) }) as unknown as z.ZodType<{ files: R[] }>;
  }

  get circuit(): CircuitState {
    return this.breaker.state;
  }

  /** One HTTP call for all lookups; the files found, by AVS. */
  async lookup(lookups: readonly FileLookup[]): Promise<Map<string, R>> {
    const payload = JSON.stringify({ requests: [...lookups] } satisfies LookupRequest);
    let body: unknown;
    try {
      // A lookup is a read: retried once within the deadline when it failed fast.
      body = await timed(registryDuration, { registry: this.opts.institution }, async () => {
        const res = await guardedFetch(
          this.endpoint,
          { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: payload },
          { breaker: this.breaker, timeoutMs: this.opts.timeoutMs, retry: true, failsOn: (status) => status < 200 || status > 299, ...(this.opts.call ? { call: this.opts.call } : {}) },
        );
        return res.json();
      });
    } catch (e) {
      if (!(e instanceof CircuitOpenError)) log.warn({ registry: this.opts.institution, reason: (e as Error).message }, 'registry lookup failed');
      throw errors.registryUnavailable(this.opts.institution);
    }
    const parsed = this.response.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      log.error({ registry: this.opts.institution, at: issue?.path.map((p) => (typeof p === 'number' ? '#' : String(p))).join('.'), issue: issue?.code }, 'registry response breaks the contract');
      throw errors.registryUnavailable(this.opts.institution);
    }
    const asked = new Set(lookups.map((l) => l.avs));
    const files = new Map<string, R>();
    for (const file of parsed.data.files) {
      // A registry that answers for someone we did not ask about is not trusted with the rest.
      if (!asked.has(file.avs)) {
        log.error({ registry: this.opts.institution }, 'registry answered for a person that was not asked');
        throw errors.registryUnavailable(this.opts.institution);
      }
      files.set(file.avs, file);
    }
    return files;
  }
}
