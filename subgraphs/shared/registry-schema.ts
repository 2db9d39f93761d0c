// The registry lookup protocol every institutional registry adapter speaks:
//   POST {baseUrl}/v1/files/lookup   { "requests": [{ "avs": "756...", "sections": ["registration", ...] }] }
//   200 { "files": [{ "avs": "756...", "<section>": ... }] }   persons without a file are absent
// A section is a data category's name without its institution prefix (ac.entitlement →
// entitlement), so a subgraph asks for exactly the categories it will release and no more.
import { z } from 'zod';

export const IsoDate = z.iso.date();

export const LookupRequest = z.strictObject({
  requests: z
    .array(z.strictObject({ avs: z.string(), sections: z.array(z.string()).min(1) }))
    .min(1),
});
export type LookupRequest = z.infer<typeof LookupRequest>;

export const LOOKUP_PATH = '/v1/files/lookup';

/** The section name of a category id: `ac.entitlement` → `entitlement`. */
export const sectionOf = (categoryId: string) => categoryId.slice(categoryId.indexOf('.') + 1);
