// PLASTA-like registry of the unemployment insurance (ORP): what one job-seeker file holds.
import { z } from 'zod';
import { IsoDate } from '../shared/registry-schema.ts';

export const UnemploymentRecord = z.object({
  avs: z.string(),
  registration: z.object({ registeredSince: IsoDate, office: z.string(), counsellor: z.string() }),
  entitlement: z
    .object({
      frameworkStart: IsoDate,
      frameworkEnd: IsoDate,
      entitledDays: z.number().int().nonnegative(),
      remainingDays: z.number().int().nonnegative(),
      exhaustionDate: IsoDate,
    })
    .nullable()
    .optional(),
  measures: z
    .array(
      z.object({
        kind: z.enum(['COURSE', 'TRAINING_PLACEMENT', 'TEMPORARY_EMPLOYMENT_PROGRAMME', 'INTEGRATION_ALLOWANCE']),
        title: z.string(),
        provider: z.string(),
        from: IsoDate,
        to: IsoDate,
      }),
    )
    .optional(),
  employability: z.object({ placeable: z.boolean(), assessedOn: IsoDate }).nullable().optional(),
});
export type UnemploymentRecord = z.infer<typeof UnemploymentRecord>;
