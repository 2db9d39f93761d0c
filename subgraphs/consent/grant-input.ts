// What a recorded consent must be, checked at the edge before anything is stored: a valid
// person, known recipients and categories, a purpose of the active policy, a validity in the
// future and at most two years ahead, the SHA-256 of the signed form; and no consent may
// release a confined category (ai.medical) outside its institution.
import { z } from 'zod';
import type { Policy } from '../../lib/access/policy.ts';
import { Avs } from '../../lib/avs.ts';
import { isoDate } from '../../lib/clock.ts';
import { Institution, type CategoryCatalogue } from '../../lib/schema/catalogue.ts';

export const MAX_VALIDITY_YEARS = 2;

export function grantInputSchema(catalogue: CategoryCatalogue, policy: Policy, today: Date) {
  const todayIso = isoDate(today);
  const limit = new Date(today);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_VALIDITY_YEARS);
  const limitIso = isoDate(limit);
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  return z
    .object({
      avs: Avs,
      recipients: z.array(Institution).min(1, 'name at least one recipient institution').transform(unique),
      categories: z
        .array(z.string().refine((c) => catalogue.has(c), { message: 'is not a category of the catalogue' }))
        .min(1, 'name at least one category')
        .transform(unique),
      purpose: z
        .string()
        .trim()
        .min(1, 'a purpose is required')
        .refine((p) => policy.purposes.has(p), { message: `must be a purpose of the active policy (${[...policy.purposes.keys()].join(', ')})` }),
      validUntil: z
        .iso.date('must be an ISO date YYYY-MM-DD')
        .refine((d) => d > todayIso, { message: `must be after today (${todayIso})` })
        .refine((d) => d <= limitIso, { message: `must be at most ${MAX_VALIDITY_YEARS} years ahead (${limitIso})` }),
      evidence: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the signed consent form (64 hex digits)')
        .transform((h) => h.toLowerCase()),
    })
    .superRefine((input, ctx) => {
      for (const category of input.categories) {
        const confinedTo = catalogue.byId.get(category)?.confinedTo;
        const outside = confinedTo ? input.recipients.filter((r) => r !== confinedTo) : [];
        if (outside.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['categories'],
            message: `"${category}" never leaves ${confinedTo}: no consent can release it to ${outside.join(', ')}`,
          });
        }
      }
    });
}
