// Who asks: verified from the requester's token at the gateway, carried to the subgraphs in
// the gateway's signed credential.
import { z } from 'zod';
import { Institution } from '../schema/catalogue.ts';

export const Requester = z.strictObject({
  institution: Institution,
  role: z.string().min(1).max(64),
  subject: z.string().min(1).max(200),
  canton: z.string().regex(/^[A-Z]{2}$/).optional(),
  /** The calling application (the token's azp or client_id, per its issuer's claim mapping), journaled with each decision. */
  client: z.string().min(1).max(200).optional(),
});
export type Requester = z.infer<typeof Requester>;

/** A case reference is an institution's file number: printable, short, no separators of ours. */
export const CaseReference = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._/:#-]*$/u, 'a case reference is letters, digits and . _ / : # - (at most 100)');
