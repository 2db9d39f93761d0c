// The social-assistance registry (in Geneva: Hospice général).
import { z } from 'zod';
import { IsoDate } from '../shared/registry-schema.ts';

export const SocialAssistanceRecord = z.object({
  avs: z.string(),
  dossier: z.object({ openedOn: IsoDate, center: z.string(), socialWorker: z.string() }),
  benefits: z.object({ monthlyAmount: z.number().nonnegative(), complementsUnemployment: z.boolean() }).nullable().optional(),
  situation: z
    .object({ issues: z.array(z.enum(['DEBTS', 'HOUSING', 'FAMILY', 'HEALTH', 'LANGUAGE', 'CHILDCARE'])) })
    .nullable()
    .optional(),
});
export type SocialAssistanceRecord = z.infer<typeof SocialAssistanceRecord>;
