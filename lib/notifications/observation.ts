// What an institution's subgraph notes of a person's file to notice changes: the few facts the
// event rules compare, never the file itself. Kept per institution, only for persons who are an
// open case there and somewhere else (the ones a change could concern).
import { z } from 'zod';

export const Observation = z.strictObject({
  /** Whether the institution's registry holds a file on the person. */
  file: z.boolean(),
  /** ISO date the file was opened. */
  openedOn: z.iso.date().optional(),
  /** The file's status, as the registry names it (e.g. CLOSED). */
  status: z.string().max(40).optional(),
  /** ISO date the unemployment entitlement runs out. */
  exhaustionDate: z.iso.date().optional(),
  /** ISO date of the AI decision. */
  decidedOn: z.iso.date().optional(),
  /** Whether the PC office requires the person to register at the ORP. */
  orpRegistrationRequired: z.boolean().optional(),
});
export type Observation = z.infer<typeof Observation>;

/** No file there. */
export const NO_FILE: Observation = { file: false };
