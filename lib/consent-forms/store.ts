// Signed consent forms as ciigraph keeps them (CONTRACT.md section 7): content-addressed by
// SHA-256, a PDF, PNG or JPEG of at most 5 MB, in a store of their own (never the access log).
// A consent's evidence names a stored form; the first consent that names it binds the form to
// its person, so that one person's form cannot be the evidence of another's consent.
import { createHash } from 'node:crypto';

/** The largest form accepted (CONTRACT.md section 7: at most 5 MB). */
export const MAX_FORM_BYTES = 5 * 1024 * 1024;

export type FormType = 'application/pdf' | 'image/png' | 'image/jpeg';

export interface StoredForm {
  sha256: string;
  contentType: FormType;
  bytes: Buffer;
  /** The person whose consent names it; null until a consent does. */
  avs: string | null;
}

/** Refused before anything is stored: not a PDF, PNG or JPEG, empty, or too large. */
export class FormRejected extends Error {}

/** What binding a form to a person found. */
export type BindOutcome = 'bound' | 'missing' | 'bound-to-another';

export interface ConsentFormStore {
  /** Stores the form (idempotent: the same bytes are the same form); throws FormRejected. */
  put(bytes: Buffer): Promise<{ sha256: string; contentType: FormType }>;
  /** The form and its person; null when none has this hash, or its bytes no longer hash to it. */
  get(sha256: string): Promise<StoredForm | null>;
  /** Binds a stored form to the person of the consent that names it, first consent wins. */
  bind(sha256: string, avs: string): Promise<BindOutcome>;
  close(): Promise<void>;
}

const startsWith = (bytes: Buffer, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);

/** The type by the file's own first bytes (not what a client claims). */
export function formTypeOf(bytes: Buffer): FormType | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // %PDF-
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  return undefined;
}

export const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export const SHA256 = /^[0-9a-f]{64}$/;

/** Checks a form before it is stored; its hash and type. */
export function checkForm(bytes: Buffer): { sha256: string; contentType: FormType } {
  if (bytes.length === 0) throw new FormRejected('The form is empty.');
  if (bytes.length > MAX_FORM_BYTES) throw new FormRejected(`The form is larger than ${MAX_FORM_BYTES} bytes.`);
  const contentType = formTypeOf(bytes);
  if (!contentType) throw new FormRejected('The form is not a PDF, PNG or JPEG file.');
  return { sha256: sha256Of(bytes), contentType };
}
