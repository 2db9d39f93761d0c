// __TITLE__ (__INSTITUTION__): what one file of its registry holds, as the lookup protocol
// (subgraphs/shared/registry-schema.ts) returns it. Each key but `avs` is a section, named
// after a data category without its prefix (__PREFIX__.file → file); the first section is the
// existence section (the category of Person.__FIELD__), always sent; the others only when asked.
import { z } from 'zod';
import { IsoDate } from '../shared/registry-schema.ts';

export const __TYPE__Record = z.object({
  avs: z.string(),
  file: z.object({ openedOn: IsoDate, office: z.string(), caseWorker: z.string() }),
  measures: z
    .array(
      z.object({
        kind: z.enum(['COURSE', 'COACHING', 'PLACEMENT']),
        title: z.string(),
        from: IsoDate,
        to: IsoDate.nullable(),
      }),
    )
    .optional(),
});
export type __TYPE__Record = z.infer<typeof __TYPE__Record>;
