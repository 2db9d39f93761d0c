// The disability insurance (AI) office's file registry.
import { z } from 'zod';
import { IsoDate } from '../shared/registry-schema.ts';

export const DisabilityRecord = z.object({
  avs: z.string(),
  file: z.object({
    filedOn: IsoDate,
    status: z.enum(['FILED', 'EARLY_INTERVENTION', 'INTEGRATION', 'ASSESSMENT', 'DECIDED', 'CLOSED']),
    caseManager: z.string(),
  }),
  measures: z
    .array(
      z.object({
        kind: z.enum(['EARLY_INTERVENTION', 'INTEGRATION', 'RETRAINING']),
        title: z.string(),
        from: IsoDate,
        to: IsoDate,
      }),
    )
    .optional(),
  decision: z
    .object({
      invalidityDegree: z.number().int().min(0).max(100),
      pension: z.number().min(0).max(100),
      decidedOn: IsoDate,
    })
    .nullable()
    .optional(),
  workCapacity: z
    .object({
      usualActivityPercent: z.number().int().min(0).max(100),
      adaptedActivityPercent: z.number().int().min(0).max(100),
      assessedOn: IsoDate,
    })
    .nullable()
    .optional(),
  medical: z.object({ diagnoses: z.array(z.string()), limitations: z.array(z.string()) }).nullable().optional(),
});
export type DisabilityRecord = z.infer<typeof DisabilityRecord>;
