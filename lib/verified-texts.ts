// What stored texts verified to, remembered by the exact text: the consent and case stores read
// every person's signed documents on every request, and the same bytes under the same key
// verify the same way, so their signature is checked (and their JSON parsed) once. A text that
// changes in the store is a new text, verified afresh; one that fails is never remembered, so
// each read of it is refused and logged again. Bounded: least recently used texts leave first.
import { LRUCache } from 'lru-cache';

/** Texts remembered per store; about 0.5 kB each as the stores write them. */
const DEFAULT_MAX_TEXTS = 20_000;

export class VerifiedTexts<T extends object> {
  private readonly opened: LRUCache<string, T>;

  constructor(maxTexts = DEFAULT_MAX_TEXTS) {
    this.opened = new LRUCache({ max: maxTexts });
  }

  /**
   * What `verify` makes of `text` stored under `key`, verified once; undefined (never
   * remembered) when it does not verify. The value is frozen: it is shared by every read.
   */
  open(key: string, text: string, verify: (text: string) => T | undefined): T | undefined {
    const id = `${key}\n${text}`;
    const known = this.opened.get(id);
    if (known !== undefined) return known;
    const value = verify(text);
    if (value === undefined) return undefined;
    deepFreeze(value);
    this.opened.set(id, value);
    return value;
  }
}

function deepFreeze(value: object): void {
  Object.freeze(value);
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
}
