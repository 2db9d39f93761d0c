// Consent forms in Redis, for a deployment without a shared volume: every gateway and consent
// subgraph instance reads the same forms. Content-addressed, so a form altered in Redis no
// longer hashes to its key and is not served.
//
// Layout:
//   <prefix>consent-form:<sha256>         the form's bytes
//   <prefix>consent-form:<sha256>:person  the AVS number of the consent that first named it (SETNX)
import type { Redis } from 'ioredis';
import { log } from '../log.ts';
import { checkForm, formTypeOf, SHA256, sha256Of, type BindOutcome, type ConsentFormStore, type StoredForm } from './store.ts';

export class RedisConsentFormStore implements ConsentFormStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string } = {},
  ) {
    this.prefix = opts.prefix ?? 'ciigraph:';
  }

  private formKey = (sha256: string) => `${this.prefix}consent-form:${sha256}`;
  private personKey = (sha256: string) => `${this.prefix}consent-form:${sha256}:person`;

  async put(bytes: Buffer) {
    const form = checkForm(bytes);
    await this.redis.set(this.formKey(form.sha256), bytes);
    return form;
  }

  async get(sha256: string): Promise<StoredForm | null> {
    if (!SHA256.test(sha256)) return null;
    const [[e1, bytes], [e2, avs]] = (await this.redis.pipeline().getBuffer(this.formKey(sha256)).get(this.personKey(sha256)).exec()) as [[Error | null, Buffer | null], [Error | null, string | null]];
    if (e1 || e2) throw e1 ?? e2;
    if (!bytes) return null;
    const contentType = formTypeOf(bytes);
    if (!contentType || sha256Of(bytes) !== sha256) {
      log.error({ store: 'consent-forms', sha256 }, 'a stored form does not hash to its key: not served');
      return null;
    }
    return { sha256, contentType, bytes, avs };
  }

  async bind(sha256: string, avs: string): Promise<BindOutcome> {
    if (!SHA256.test(sha256) || (await this.redis.exists(this.formKey(sha256))) === 0) return 'missing';
    if ((await this.redis.setnx(this.personKey(sha256), avs)) === 1) return 'bound';
    return (await this.redis.get(this.personKey(sha256))) === avs ? 'bound' : 'bound-to-another';
  }

  /** The shared client belongs to the stack, which closes it. */
  async close(): Promise<void> {}
}
