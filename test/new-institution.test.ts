// The recipe for a sixth institution works: the template (templates/institution/), filled in
// for a toy institution in a temporary folder by the scaffolder's own code, composes with the
// five real subgraphs; its Person field reaches the supergraph with its @category; the
// category-coverage check passes with the catalogue extended by its categories (and fails
// without them, or when the field has no category); its registry record, mock data and
// policy snippet are consistent with each other and with the shared code.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildASTSchema, isObjectType, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { institutionVars, renderInstitution, writeInstitutionFiles, type RenderedInstitution } from '../bin/new-institution.ts';
import { loadPolicy, parsePolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import { loadCatalogue, parseCatalogue, CATALOGUE_PATH } from '../lib/schema/catalogue.ts';
import { checkCategoryCoverage } from '../lib/schema/category-coverage.ts';
import { compose, defaultSubgraphSources, type SubgraphSource } from '../lib/schema/compose.ts';
import { declaredCategory } from '../lib/schema/categories.ts';
import { sectionOf } from '../subgraphs/shared/registry-schema.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// An existing institution code (CII) keeps the toy within today's Institution enum; the
// recipe's "new institution code" section covers a new code.
const vars = institutionVars({ name: 'toy-migration', institution: 'CII', prefix: 'toymig', title: 'the toy migration office', citation: 'Toy Act art. 1' });
const FIELD = 'toyMigration';
const FILE_TYPE = 'ToyMigrationFile';

let dir: string;
let rendered: RenderedInstitution;
let toy: SubgraphSource;
const catalogueJson = JSON.parse(readFileSync(CATALOGUE_PATH, 'utf8')) as { categories: unknown[] };
const baseCatalogue = loadCatalogue();
let extendedCatalogue: ReturnType<typeof parseCatalogue>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ciigraph-new-institution-'));
  rendered = renderInstitution(vars);
  writeInstitutionFiles(dir, rendered);
  // The toy's relative imports (../shared/..., zod) resolve as they would in the repository.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  symlinkSync(join(ROOT, 'subgraphs', 'shared'), join(dir, 'subgraphs', 'shared'), 'dir');
  toy = { name: vars.name, url: 'http://localhost:4006/graphql', schemaPath: join(dir, 'subgraphs', vars.name, 'schema.graphql') };
  extendedCatalogue = parseCatalogue({ categories: [...catalogueJson.categories, ...rendered.categories] }, 'extended catalogue');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The supergraph of the five subgraphs and the toy, with the toy's SDL edited by `edit`. */
function composeWithToy(edit: (sdl: string) => string = (s) => s) {
  const path = join(dir, 'edited.graphql');
  writeFileSync(path, edit(readFileSync(toy.schemaPath, 'utf8')));
  const outcome = compose([...defaultSubgraphSources(), { ...toy, schemaPath: path }]);
  if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
  return outcome.supergraphSdl;
}

describe('the template, filled in for a toy institution', () => {
  it('writes the subgraph and the mock data where the recipe says, with no placeholder left', () => {
    expect([...rendered.files.keys()].sort()).toEqual(
      ['mocks/toy-migration.ts', 'subgraphs/toy-migration/index.ts', 'subgraphs/toy-migration/registry.ts', 'subgraphs/toy-migration/schema.graphql'].sort(),
    );
    for (const [path, content] of rendered.files) {
      expect(content, path).not.toMatch(/__[A-Z]+__/);
      expect(readFileSync(join(dir, path), 'utf8')).toBe(content);
    }
    const index = rendered.files.get('subgraphs/toy-migration/index.ts')!;
    expect(index).toContain("name: 'toy-migration'");
    expect(index).toContain("institution: 'CII'");
    expect(index).toContain(`personField: '${FIELD}'`);
    expect(() => writeInstitutionFiles(dir, rendered)).toThrow(/already exists, nothing written/);
  });

  it('composes with the five real subgraphs: Person.<field> is in the supergraph, resolved by the toy, with its @category', () => {
    const outcome = compose([...defaultSubgraphSources(), toy]);
    expect(outcome.ok ? [] : outcome.errors).toEqual([]);
    if (!outcome.ok) return;
    const supergraph = outcome.supergraphSdl;
    expect(supergraph).toContain('TOY_MIGRATION @join__graph(name: "toy-migration", url: "http://localhost:4006/graphql")');

    const schema = buildASTSchema(parse(supergraph), { assumeValidSDL: true });
    const person = schema.getType('Person');
    if (!isObjectType(person)) throw new Error('no Person in the supergraph');
    const field = person.getFields()[FIELD];
    expect(field?.type.toString()).toBe(FILE_TYPE);
    expect(declaredCategory(field!)).toBe('toymig.file');
    const graphs = field!.astNode?.directives?.filter((d) => d.name.value === 'join__field').map((d) => d.arguments?.find((a) => a.name.value === 'graph')?.value);
    expect(graphs?.map((g) => (g && 'value' in g ? g.value : undefined))).toEqual(['TOY_MIGRATION']);
    // The five institutions' fields are all still there.
    for (const f of ['unemployment', 'disability', 'socialAssistance', 'supplementaryBenefits', 'consents', 'situation']) expect(person.getFields()[f], f).toBeDefined();
  });

  it('passes the category-coverage check with the catalogue extended by its categories, and only then', () => {
    const supergraph = composeWithToy();
    const report = checkCategoryCoverage(supergraph, extendedCatalogue);
    expect(report.problems).toEqual([]);
    expect(report.fieldCategories.get(`Person.${FIELD}`)).toBe('toymig.file');
    expect(report.fieldCategories.get(`${FILE_TYPE}.caseWorker`)).toBe('toymig.file');
    expect(report.fieldCategories.get(`${FILE_TYPE}.measures`)).toBe('toymig.measures');
    expect(report.fieldCategories.get('ToyMigrationMeasure.title')).toBe('toymig.measures');

    expect(checkCategoryCoverage(supergraph, baseCatalogue).problems).toEqual([
      `Person.${FIELD} names category "toymig.file", which is not in the catalogue`,
      `${FILE_TYPE}.openedOn names category "toymig.file", which is not in the catalogue`,
      `${FILE_TYPE}.office names category "toymig.file", which is not in the catalogue`,
      `${FILE_TYPE}.caseWorker names category "toymig.file", which is not in the catalogue`,
      `${FILE_TYPE}.measures names category "toymig.measures", which is not in the catalogue`,
    ]);
  });

  it('fails the coverage check when the template’s Person field, or a field of its file, has no category', () => {
    const noFieldCategory = composeWithToy((sdl) => sdl.replace(`${FIELD}: ${FILE_TYPE} @category(id: "toymig.file")`, `${FIELD}: ${FILE_TYPE}`));
    expect(checkCategoryCoverage(noFieldCategory, extendedCatalogue).problems).toContain(`Person.${FIELD} carries personal data but has no @category`);

    const noFileFieldCategory = composeWithToy((sdl) => sdl.replace('office: String! @category(id: "toymig.file")', 'office: String!'));
    expect(checkCategoryCoverage(noFileFieldCategory, extendedCatalogue).problems).toEqual([`${FILE_TYPE}.office carries personal data but has no @category`]);
  });

  it('asks its registry for sections that are exactly its categories, the existence section first', async () => {
    const { ToyMigrationRecord } = (await import(pathToFileURL(join(dir, 'subgraphs', vars.name, 'registry.ts')).href)) as { ToyMigrationRecord: z.ZodObject };
    const sections = Object.keys(ToyMigrationRecord.shape).filter((k) => k !== 'avs');
    expect(sections).toEqual(rendered.categories.map((c) => sectionOf(String(c.id))));
    // The first section is the one the shared institution subgraph always asks: Person.<field>'s category.
    expect(sections[0]).toBe(sectionOf('toymig.file'));
  });

  it('has mock data that its own registry schema accepts: deterministic, some persons with a file and some without', async () => {
    const { ToyMigrationRecord } = (await import(pathToFileURL(join(dir, 'subgraphs', vars.name, 'registry.ts')).href)) as { ToyMigrationRecord: z.ZodType };
    const mocks = (await import(pathToFileURL(join(dir, 'mocks', `${vars.name}.ts`)).href)) as {
      generateToyMigrationFile(avs: string): unknown;
      scenarioToyMigrationFiles: ReadonlyMap<string, unknown>;
    };
    const avsNumbers = Array.from({ length: 200 }, (_, i) => `756.${String(1000 + i).padStart(4, '0')}.${String(5000 + i * 7).padStart(4, '0')}.1${i % 10}`);
    const files = avsNumbers.map((avs) => mocks.generateToyMigrationFile(avs));
    const withFile = files.filter((f) => f !== null);
    expect(withFile.length).toBeGreaterThan(0);
    expect(withFile.length).toBeLessThan(files.length);
    for (const f of withFile) expect(ToyMigrationRecord.safeParse(f).error).toBeUndefined();
    expect(avsNumbers.map((avs) => mocks.generateToyMigrationFile(avs))).toEqual(files);
    for (const f of mocks.scenarioToyMigrationFiles.values()) expect(ToyMigrationRecord.safeParse(f).error).toBeUndefined();
  });

  it('comes with a policy snippet that the policy loader accepts once merged, releasing the toy’s categories to its own staff only', () => {
    const sample = JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8')) as { roles: unknown[]; legalBases: unknown[]; rules: unknown[] };
    const merged = {
      ...sample,
      roles: [...sample.roles, ...rendered.policy.roles],
      legalBases: [...sample.legalBases, ...rendered.policy.legalBases],
      rules: [...sample.rules, ...rendered.policy.rules],
    };
    const policy = parsePolicy(merged, extendedCatalogue, 'merged policy');
    const own = policy.releaseFor('CII', 'toy-migration-officer', 'toymig.measures');
    expect(own?.kind === 'legalBasis' ? own.basis.citation : own?.kind).toBe('Toy Act art. 1');
    // No rule, no data: nobody else is released the new categories until the DPO says so.
    expect(policy.releaseFor('AI', 'case-manager', 'toymig.file')).toBeUndefined();
    expect(policy.releaseFor('CII', 'cii-referent', 'toymig.file')).toBeUndefined();
    // Against the unextended catalogue the same policy is refused, naming the category.
    expect(() => parsePolicy(merged, baseCatalogue, 'merged policy')).toThrow(/category "toymig.file" is not in the catalogue/);
    expect(loadPolicy(baseCatalogue).roles.has('toy-migration-officer')).toBe(false);
  });

  it('the scaffolder refuses names and codes that would not fit', () => {
    expect(() => institutionVars({ name: 'Migration', institution: 'MIG' })).toThrow(/--name: kebab-case/);
    expect(() => institutionVars({ name: 'migration', institution: 'mig' })).toThrow(/--institution/);
    expect(() => institutionVars({ name: 'migration', institution: 'MIG', prefix: 'mig.x' })).toThrow(/--prefix/);
    expect(institutionVars({ name: 'migration-services', institution: 'MIG' })).toMatchObject({
      field: 'migrationServices',
      type: 'MigrationServices',
      prefix: 'mig',
      role: 'migration-services-officer',
    });
  });
});
