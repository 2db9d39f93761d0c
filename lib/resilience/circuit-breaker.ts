// Keeps a dead dependency (a registry, a subgraph) from slowing every request: after
// `failureThreshold` failures in a row the circuit opens and calls fail at once; after
// `cooldownMs` one probe is let through (half-open): success closes it, failure reopens it.
import { log } from '../log.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitOpenError extends Error {
  constructor(readonly dependency: string) {
    super(`${dependency}: circuit open, not called`);
  }
}

export interface CircuitBreakerOptions {
  failureThreshold?: number;
  cooldownMs?: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(
    readonly dependency: string,
    opts: CircuitBreakerOptions = {},
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.cooldownMs = opts.cooldownMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.failures < this.threshold) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) throw new CircuitOpenError(this.dependency);
    const probe = state === 'half-open';
    if (probe) this.probing = true;
    try {
      const result = await call();
      this.failures = 0;
      return result;
    } catch (e) {
      this.failures++;
      if (this.failures >= this.threshold) {
        if (this.failures === this.threshold || probe) log.warn({ dependency: this.dependency, cooldownMs: this.cooldownMs }, 'circuit open');
        this.openedAt = this.now();
      }
      throw e;
    } finally {
      if (probe) this.probing = false;
    }
  }
}
