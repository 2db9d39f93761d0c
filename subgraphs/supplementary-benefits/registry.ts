// The supplementary-benefits (PC) office's registry.
import { z } from 'zod';
import { IsoDate } from '../shared/registry-schema.ts';

export const SupplementaryBenefitsRecord = z.object({
  avs: z.string(),
  entitlement: z.object({ entitledSince: IsoDate, monthlyAmount: z.number().nonnegative() }),
  hypotheticalIncome: z
    .object({ yearlyAmount: z.number().nonnegative().nullable(), orpRegistrationRequired: z.boolean() })
    .optional(),
});
export type SupplementaryBenefitsRecord = z.infer<typeof SupplementaryBenefitsRecord>;
