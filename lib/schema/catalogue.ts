// The data-category catalogue: every field that carries personal data belongs to exactly
// one of these categories (CONTRACT.md section 3). Data, validated at load; code never
// hard-codes the list.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StartupError } from '../errors.ts';

export const Institution = z.enum(['AC', 'AI', 'AS', 'PC', 'CII']);
export type Institution = z.infer<typeof Institution>;
export const INSTITUTIONS = Institution.options;

export const CategoryId = z.string().regex(/^[a-z]+\.[a-zA-Z]+$/, 'a category id is "<institution>.<name>", e.g. ac.entitlement');

const Category = z.strictObject({
  id: CategoryId,
  institution: Institution,
  sensitive: z.boolean().describe('sensitive personal data under nDSG art. 5'),
  description: z.string().min(1),
  /** The category never leaves this institution: no rule and no consent may release it elsewhere. */
  confinedTo: Institution.optional(),
});
export type Category = z.infer<typeof Category>;

const CatalogueFile = z
  .strictObject({ categories: z.array(Category).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.categories.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'id'], message: `duplicate category "${c.id}"` });
      seen.add(c.id);
    });
  });

export const CATALOGUE_PATH = fileURLToPath(new URL('../../schema/categories.json', import.meta.url));

export class CategoryCatalogue {
  readonly byId: ReadonlyMap<string, Category>;
  constructor(readonly categories: readonly Category[]) {
    this.byId = new Map(categories.map((c) => [c.id, c]));
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  get(id: string): Category {
    const c = this.byId.get(id);
    if (!c) throw new Error(`unknown data category "${id}"`);
    return c;
  }
}

export function parseCatalogue(json: unknown, file = CATALOGUE_PATH): CategoryCatalogue {
  const r = CatalogueFile.safeParse(json);
  if (!r.success) throw new StartupError(file, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return new CategoryCatalogue(r.data.categories);
}

export function loadCatalogue(file = CATALOGUE_PATH): CategoryCatalogue {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StartupError(file, [`cannot read or parse: ${(e as Error).message}`]);
  }
  return parseCatalogue(json, file);
}
