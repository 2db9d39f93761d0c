// Consent forms in a directory: the development default, and the disk store of a deployment
// with a persistent volume. One file per form, named by its hash; the person it is bound to in
// a file beside it, created exclusively, so the first consent that names it wins.
import { mkdirSync } from 'node:fs';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../log.ts';
import { checkForm, formTypeOf, SHA256, sha256Of, type BindOutcome, type ConsentFormStore, type StoredForm } from './store.ts';

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export class DirectoryConsentFormStore implements ConsentFormStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  async put(bytes: Buffer) {
    const form = checkForm(bytes);
    const file = join(this.dir, `${form.sha256}.form`);
    // Written aside and renamed: a reader never sees half a form.
    const partial = `${file}.${process.pid}.${Date.now()}.partial`;
    await writeFile(partial, bytes, { mode: 0o600 });
    await rename(partial, file);
    return form;
  }

  async get(sha256: string): Promise<StoredForm | null> {
    if (!SHA256.test(sha256)) return null;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, `${sha256}.form`));
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
    const contentType = formTypeOf(bytes);
    // An altered file is no longer the form its name claims.
    if (!contentType || sha256Of(bytes) !== sha256) {
      log.error({ store: 'consent-forms', sha256 }, 'a stored form does not hash to its name: not served');
      return null;
    }
    return { sha256, contentType, bytes, avs: await this.personOf(sha256) };
  }

  async bind(sha256: string, avs: string): Promise<BindOutcome> {
    if (!SHA256.test(sha256)) return 'missing';
    try {
      await access(join(this.dir, `${sha256}.form`));
    } catch (e) {
      if (missing(e)) return 'missing';
      throw e;
    }
    try {
      await writeFile(join(this.dir, `${sha256}.person`), avs, { flag: 'wx', mode: 0o600 });
      return 'bound';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    return (await this.personOf(sha256)) === avs ? 'bound' : 'bound-to-another';
  }

  async close(): Promise<void> {}

  private async personOf(sha256: string): Promise<string | null> {
    try {
      return (await readFile(join(this.dir, `${sha256}.person`), 'utf8')).trim() || null;
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  }
}
