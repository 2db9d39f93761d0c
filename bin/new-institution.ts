// `npm run new-institution -- --name migration --institution MIG [--field ...] [--type ...]
//   [--prefix ...] [--role ...] [--title ...] [--citation ...] [--port N] [--dry-run]`
// Fills templates/institution/ for a new institution: writes its subgraph
// (subgraphs/<name>/), its mock data (mocks/<name>.ts) and its categories (appended to
// schema/categories.json), then prints the code edits and the policy snippet that remain
// (docs/institution-developers/adding-an-institution.md). It never overwrites a file; the rest is a reviewed change.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_PORTS, envPrefix, SUBGRAPHS } from '../lib/config.ts';
import { CATALOGUE_PATH, INSTITUTIONS } from '../lib/schema/catalogue.ts';
import { answerHelp } from './cli.ts';

export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/institution/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every placeholder the template uses, and what replaces it. */
export interface InstitutionVars {
  /** Subgraph name, kebab-case: `migration` (directory, service, env prefix MIGRATION_). */
  name: string;
  /** Institution code of the Institution enum: `MIG`. */
  institution: string;
  /** The Person field: `migration`. */
  field: string;
  /** Stem of the GraphQL and TypeScript type names: `Migration` → MigrationFile, MigrationRecord. */
  type: string;
  /** Category prefix: `mig` → mig.file, mig.measures. */
  prefix: string;
  /** The staff role of the policy snippet: `migration-officer`. */
  role: string;
  /** Human name in descriptions: `the migration and integration services`. */
  title: string;
  /** Citation of the own-mandate legal basis (policy snippet). */
  citation: string;
}

const PLACEHOLDERS: Record<string, keyof InstitutionVars> = {
  __NAME__: 'name',
  __INSTITUTION__: 'institution',
  __FIELD__: 'field',
  __TYPE__: 'type',
  __PREFIX__: 'prefix',
  __ROLE__: 'role',
  __TITLE__: 'title',
  __CITATION__: 'citation',
};

const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (kebab: string) => camel(kebab).replace(/^./, (c) => c.toUpperCase());

const Vars = z.object({
  name: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'kebab-case, e.g. migration'),
  institution: z.string().regex(/^[A-Z]{2,5}$/, '2 to 5 capital letters, e.g. MIG'),
  field: z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'camelCase, e.g. migration'),
  type: z.string().regex(/^[A-Z][a-zA-Z0-9]*$/, 'PascalCase, e.g. Migration'),
  // The catalogue's category ids are "<letters>.<name>".
  prefix: z.string().regex(/^[a-z]+$/, 'lower-case letters only, e.g. mig'),
  role: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1).max(120).refine((t) => !/["\\\n]/.test(t), 'no quotes, backslashes or newlines'),
  citation: z.string().min(1).max(200).refine((t) => !/["\\\n]/.test(t), 'no quotes, backslashes or newlines'),
});

/** The variables for a name and an institution code, the others derived unless given. */
export function institutionVars(given: { name: string; institution: string } & Partial<InstitutionVars>): InstitutionVars {
  const title = given.title ?? `the ${given.name.replaceAll('-', ' ')} services`;
  const r = Vars.safeParse({
    field: camel(given.name),
    type: pascal(given.name),
    prefix: given.institution.toLowerCase(),
    role: `${given.name}-officer`,
    citation: `${title}: own mandate (citation to be completed by the DPO)`,
    ...given,
    title,
  });
  if (!r.success) throw new Error(r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** The template text with every placeholder replaced; throws on one it does not know. */
export function fill(text: string, vars: InstitutionVars): string {
  return text.replace(/__[A-Z]+__/g, (p) => {
    const key = PLACEHOLDERS[p];
    if (!key) throw new Error(`unknown placeholder ${p} in the template`);
    return vars[key];
  });
}

export interface RenderedInstitution {
  /** Path relative to the repository root → content. */
  files: Map<string, string>;
  /** To merge into schema/categories.json. */
  categories: Array<Record<string, unknown>>;
  /** To merge into the active policy by the DPO. */
  policy: { roles: unknown[]; legalBases: unknown[]; rules: unknown[] };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Fills the whole template: files under subgraph/ go to subgraphs/<name>/, the snippets are returned as data. */
export function renderInstitution(vars: InstitutionVars, templateDir = TEMPLATE_DIR): RenderedInstitution {
  const files = new Map<string, string>();
  let categories: RenderedInstitution['categories'] = [];
  let policy: RenderedInstitution['policy'] = { roles: [], legalBases: [], rules: [] };
  for (const abs of walk(templateDir)) {
    const rel = relative(templateDir, abs);
    if (rel === 'README.md') continue;
    const text = fill(readFileSync(abs, 'utf8'), vars);
    if (rel === join('snippets', 'categories.json')) categories = (JSON.parse(text) as { categories: RenderedInstitution['categories'] }).categories;
    else if (rel === join('snippets', 'policy.json')) {
      const { $comment: _comment, ...rest } = JSON.parse(text) as RenderedInstitution['policy'] & { $comment?: string };
      policy = rest;
    } else files.set(fill(rel.replace(/^subgraph\//, 'subgraphs/__NAME__/'), vars), text);
  }
  return { files, categories, policy };
}

/** Writes the rendered files under `root`; refuses to overwrite anything. Returns the paths written. */
export function writeInstitutionFiles(root: string, rendered: RenderedInstitution): string[] {
  const clash = [...rendered.files.keys()].filter((p) => existsSync(join(root, p)));
  if (clash.length) throw new Error(`already exists, nothing written: ${clash.join(', ')}`);
  for (const [path, content] of rendered.files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return [...rendered.files.keys()];
}

/** The next free default port after the subgraphs'. */
const nextPort = () => Math.max(...SUBGRAPHS.map((s) => DEFAULT_PORTS[s])) + 1;

/** What is left to do by hand, with the values filled in (the recipe explains each step). */
export function nextSteps(vars: InstitutionVars, port: number): string {
  const constName = camel(vars.name);
  const newCode = !(INSTITUTIONS as readonly string[]).includes(vars.institution);
  return [
    'Remaining steps (docs/institution-developers/adding-an-institution.md):',
    ...(newCode
      ? [
          `0. ${vars.institution} is not an Institution code yet: add it to the Institution enum in schema/catalogue.ts and subgraphs/consent/schema.graphql,`,
          '   and to the institutions of the cii-referent and dpo roles of the policy (recipe, "A new institution code").',
        ]
      : []),
    `1. lib/config.ts: add '${vars.name}' to SUBGRAPHS and REGISTRY_SUBGRAPHS, \`'${vars.name}': ${port}\` to DEFAULT_PORTS, \`'${vars.name}': '/${vars.name}'\` to REGISTRY_PATHS.`,
    `2. bin/stack.ts: import { define as ${constName} } from '../subgraphs/${vars.name}/index.ts'; add \`'${vars.name}': ${constName}\` to SUBGRAPH_DEFINITIONS.`,
    `3. mocks: MockPerson.${vars.field}, recordOf() and REGISTRY_SECTIONS in mocks/registry-data.ts, \`${vars.field}: scenario${vars.type}Files.get(AVS) ?? null\` in each scenario,`,
    `   \`${vars.field}: generate${vars.type}File(avs)\` in generatePerson(). \`npx tsc --noEmit\` lists every place still missing.`,
    '4. The policy: the DPO merges the snippet below into the active policy (no rule, no data until then).',
    `5. npm run compose (the supergraph gains Person.${vars.field}); docker-compose.yml: a service "${vars.name}" like the others (${envPrefix(vars.name)}_PORT=${port}).`,
    '6. npm test.',
  ].join('\n');
}

function main() {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      institution: { type: 'string' },
      field: { type: 'string' },
      type: { type: 'string' },
      prefix: { type: 'string' },
      role: { type: 'string' },
      title: { type: 'string' },
      citation: { type: 'string' },
      port: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const { name, institution, port: portArg, 'dry-run': dryRun, ...rest } = values;
  if (!name || !institution) throw new Error('usage: npm run new-institution -- --name <kebab-name> --institution <CODE> [--field --type --prefix --role --title --citation --port --dry-run]');
  if ((SUBGRAPHS as readonly string[]).includes(name)) throw new Error(`--name: "${name}" is already a subgraph`);
  const vars = institutionVars({ name, institution, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) });
  const port = portArg ? Number(portArg) : nextPort();
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port: a port number');

  const rendered = renderInstitution(vars);
  const catalogue = JSON.parse(readFileSync(CATALOGUE_PATH, 'utf8')) as { categories: Array<{ id: string }> };
  const known = new Set(catalogue.categories.map((c) => c.id));
  const taken = rendered.categories.filter((c) => known.has(String(c.id)));
  if (taken.length) throw new Error(`--prefix: categories already in the catalogue: ${taken.map((c) => c.id).join(', ')}`);

  if (dryRun) {
    for (const [path, content] of rendered.files) console.log(`--- ${path}\n${content}`);
  } else {
    for (const path of writeInstitutionFiles(REPO_ROOT, rendered)) console.log(`wrote ${path}`);
    catalogue.categories.push(...(rendered.categories as Array<{ id: string }>));
    writeFileSync(CATALOGUE_PATH, `${JSON.stringify(catalogue, null, 2)}\n`);
    console.log(`added ${rendered.categories.map((c) => c.id).join(', ')} to schema/categories.json`);
  }
  console.log(`\n${nextSteps(vars, port)}\n\nPolicy snippet for the DPO:\n${JSON.stringify(rendered.policy, null, 2)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  answerHelp(`usage: npm run new-institution -- --name <kebab-name> --institution <CODE> [--field <Person field>]
         [--type <TypeStem>] [--prefix <category prefix>] [--role <role>] [--title <text>]
         [--citation <text>] [--port N] [--dry-run]
  Fills templates/institution/ for a new institution: its subgraph, its mock data, its
  categories in schema/categories.json; prints the remaining steps and the policy snippet.
  Never overwrites a file. docs/institution-developers/adding-an-institution.md.`);
  try {
    main();
  } catch (e) {
    console.error(`new-institution: ${(e as Error).message}`);
    process.exit(2);
  }
}
