// The AVS number (AHV/AVS, 13 digits, EAN-13 check digit) is the key of Person.
// It is validated here, at the edge, before any registry is called.
import { z } from 'zod';
import { errors } from './errors.ts';

const DIGITS = /^756\d{10}$/;
const DOTTED = /^756\.\d{4}\.\d{4}\.\d{2}$/;

export function ean13CheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** Whether the 13th of these 13 digits is the EAN-13 check digit of the first 12. */
function checkDigitHolds(digits: string): boolean {
  return ean13CheckDigit(digits.slice(0, 12)) === Number(digits[12]);
}

/** Canonical form: 756.XXXX.XXXX.XC */
export function formatAvs(digits: string): string {
  return `${digits.slice(0, 3)}.${digits.slice(3, 7)}.${digits.slice(7, 11)}.${digits.slice(11)}`;
}

/** Accepts `756.XXXX.XXXX.XC` or 13 digits; yields the canonical dotted form. */
export const Avs = z
  .string()
  .trim()
  .refine((s) => DOTTED.test(s) || DIGITS.test(s), {
    message: 'An AVS number has the form 756.XXXX.XXXX.XC (or 13 digits starting with 756).',
  })
  .transform((s) => s.replaceAll('.', ''))
  .refine(checkDigitHolds, {
    message: 'The AVS number has a wrong check digit.',
  })
  .transform(formatAvs)
  .brand<'Avs'>();
export type Avs = z.infer<typeof Avs>;

export function parseAvs(input: string): { ok: true; avs: Avs } | { ok: false; message: string } {
  // Already canonical (what the gateway passes on for every person of a caseload): the same
  // two checks as the schema, without its pipeline of copies.
  if (DOTTED.test(input) && checkDigitHolds(input.replaceAll('.', ''))) {
    return { ok: true, avs: input as Avs };
  }
  const r = Avs.safeParse(input);
  return r.success ? { ok: true, avs: r.data } : { ok: false, message: r.error.issues[0]?.message ?? 'Invalid AVS number.' };
}

/** Parses an AVS number arriving in a GraphQL argument or entity reference; bad input is BAD_USER_INPUT. */
export function requireAvs(input: unknown): Avs {
  const r = typeof input === 'string' ? parseAvs(input) : ({ ok: false, message: 'An AVS number is a string.' } as const);
  if (!r.ok) throw errors.badUserInput(`Invalid AVS number: ${r.message}`, { field: 'avs' });
  return r.avs;
}
