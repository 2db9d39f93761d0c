// Input that failed its zod schema, as one BAD_USER_INPUT naming every field at fault.
import type { z } from 'zod';
import { errors } from '../../lib/errors.ts';

export const badInput = (prefix: string, error: z.ZodError) =>
  errors.badUserInput(
    error.issues.map((i) => `${[prefix, ...i.path].join('.')}: ${i.message}`).join('; '),
    { fields: error.issues.map((i) => [prefix, ...i.path].join('.')) },
  );
