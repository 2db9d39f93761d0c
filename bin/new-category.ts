// `npm run new-category -- --subgraph <name> --category <prefix.name> --description <text>
//   [--type String|Int|Float|Boolean] [--example <JSON>] [--sensitive] [--policy FILE] [--dry-run]`
// Adds one field with a new data category to an institution's subgraph in one step: the
// catalogue entry, the SDL field with its @category, the registry record's section (= the
// category without its prefix = the field's name), the field in the file mapping, the mock
// data (the example value, for the scenario persons and the generated ones), the recomposed
// supergraph, and a policy row for DPO review: the institution's own staff get it under a new
// legal basis whose citation says "pending DPO review"; no other requester gets it until the
// DPO writes their cells. Everything is computed and checked first; then all files are
// written, or none.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kind, parse, type FieldDefinitionNode, type ObjectTypeDefinitionNode, type TypeNode } from 'graphql';
import ts from 'typescript';
import { z } from 'zod';
import { parsePolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import { REGISTRY_SUBGRAPHS, type RegistrySubgraphName } from '../lib/config.ts';
import { CATALOGUE_PATH, CategoryId, parseCatalogue, type Category } from '../lib/schema/catalogue.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import { checkSubgraphSdl } from '../lib/schema/sdl-check.ts';
import { subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';
import { answerHelp } from './cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const USAGE = `usage: npm run new-category -- --subgraph <${REGISTRY_SUBGRAPHS.join('|')}> --category <prefix.name>
         --description <text> [--type String|Int|Float|Boolean] [--example <JSON value>]
         [--sensitive] [--policy FILE] [--dry-run]
  Adds the field <name> with the new category <prefix.name> to the subgraph's file type:
  schema/categories.json, the SDL (@category), the registry record's section <name>, the file
  mapping, the mock data (--example for every person with a file), schema/supergraph.graphql,
  and a policy row for DPO review (default policy: schema/policy/sample.json).
  --sensitive   the category is sensitive personal data (nDSG art. 5); the DPO decides
  --dry-run     print what would change, write nothing`;

const SCALARS = {
  String: { zod: 'z.string()', example: '"(example)"', check: z.string() },
  Int: { zod: 'z.number().int()', example: '1', check: z.number().int() },
  Float: { zod: 'z.number()', example: '1.5', check: z.number() },
  Boolean: { zod: 'z.boolean()', example: 'true', check: z.boolean() },
} as const;
type Scalar = keyof typeof SCALARS;

export const NewCategoryArgs = z.object({
  subgraph: z.enum(REGISTRY_SUBGRAPHS),
  category: CategoryId,
  description: z.string().trim().min(1),
  type: z.enum(Object.keys(SCALARS) as [Scalar, ...Scalar[]]).default('String'),
  example: z.string().optional(),
  sensitive: z.boolean().default(false),
  policy: z.string().optional(),
});
export type NewCategoryArgs = z.input<typeof NewCategoryArgs>;

export class NewCategoryRefused extends Error {}

export interface NewCategoryPlan {
  /** Absolute path → new content. */
  files: Map<string, string>;
  /** What the DPO must review. */
  review: string[];
}

const read = (path: string) => readFileSync(path, 'utf8');

// ---------------------------------------------------------------- TypeScript source edits

function findNode<T extends ts.Node>(sf: ts.Node, match: (n: ts.Node) => T | undefined): T[] {
  const found: T[] = [];
  const visit = (n: ts.Node) => {
    const m = match(n);
    if (m) found.push(m);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The source with `property` added as the last property of each object literal, in the object's own layout. */
function addProperty(source: string, objects: readonly ts.ObjectLiteralExpression[], property: string): string {
  let out = source;
  // Back to front, so earlier positions stay valid.
  for (const obj of [...objects].sort((a, b) => b.end - a.end)) {
    const last = obj.properties.at(-1);
    if (!last) {
      out = `${out.slice(0, obj.end - 1)} ${property} ${out.slice(obj.end - 1)}`;
      continue;
    }
    const between = out.slice(last.end, obj.end - 1);
    let at = last.end;
    let text = `, ${property}`;
    if (between.includes('\n')) {
      const lineStart = out.lastIndexOf('\n', last.getStart()) + 1;
      const indent = /^[ \t]*/.exec(out.slice(lineStart))![0];
      const trailingComma = between.trimStart().startsWith(',');
      // A trailing comma stays a trailing comma: the new property goes after it, with its own.
      if (trailingComma) at = last.end + between.indexOf(',') + 1;
      text = trailingComma ? `\n${indent}${property},` : `,\n${indent}${property}`;
    }
    out = out.slice(0, at) + text + out.slice(at);
  }
  return out;
}

const sourceFile = (path: string, text: string) => ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);

function objectLiteralOf(node: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  while (node && ts.isParenthesizedExpression(node)) node = node.expression;
  return node && ts.isObjectLiteralExpression(node) ? node : undefined;
}

// ---------------------------------------------------------------- the plan

interface SubgraphShape {
  personField: string;
  fileType: ObjectTypeDefinitionNode;
  existenceCategory: string;
}

function subgraphShape(sdl: string, where: string): SubgraphShape {
  const doc = parse(sdl);
  const types = doc.definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION);
  const categoryOf = (f: FieldDefinitionNode) =>
    f.directives?.find((d) => d.name.value === 'category')?.arguments?.find((a) => a.name.value === 'id')?.value;
  const person = types.find((t) => t.name.value === 'Person');
  const field = person?.fields?.find((f) => categoryOf(f));
  const id = field && categoryOf(field);
  if (!field || !id || id.kind !== Kind.STRING) throw new NewCategoryRefused(`${where}: no Person field with @category (the institution's file)`);
  let type: TypeNode = field.type;
  while (type.kind !== Kind.NAMED_TYPE) type = type.type;
  const fileType = types.find((t) => t.name.value === (type as { name: { value: string } }).name.value);
  if (!fileType) throw new NewCategoryRefused(`${where}: the type of Person.${field.name.value} is not defined there`);
  return { personField: field.name.value, fileType, existenceCategory: id.value };
}

const RawPolicy = z.looseObject({
  legalBases: z.array(z.looseObject({ id: z.string(), citation: z.string(), conditions: z.array(z.unknown()) })),
  rules: z.array(z.looseObject({ institution: z.string(), roles: z.array(z.string()), categories: z.record(z.string(), z.string()) })),
});

export function planNewCategory(input: NewCategoryArgs, root = ROOT): NewCategoryPlan {
  const args = NewCategoryArgs.parse(input);
  const name: RegistrySubgraphName = args.subgraph;
  const section = args.category.slice(args.category.indexOf('.') + 1);
  const prefix = args.category.slice(0, args.category.indexOf('.'));
  const scalar = SCALARS[args.type];
  const at = (rel: string) => join(root, rel);
  const files = new Map<string, string>();

  // The example, checked against the type: it is what the mocks serve.
  let example: string = scalar.example;
  if (args.example !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(args.example);
    } catch {
      throw new NewCategoryRefused(`--example ${args.example}: not a JSON value (a string needs its quotes: '"text"')`);
    }
    if (!scalar.check.safeParse(value).success) throw new NewCategoryRefused(`--example ${args.example}: not a ${args.type}`);
    example = JSON.stringify(value);
  }

  // The SDL: the file type gains the field.
  const sdlPath = subgraphSchemaPath(name, at('subgraphs'));
  const sdl = read(sdlPath);
  const shape = subgraphShape(sdl, relative(root, sdlPath));
  if (shape.fileType.fields?.some((f) => f.name.value === section)) throw new NewCategoryRefused(`${shape.fileType.name.value}.${section} exists already`);
  const lastField = shape.fileType.fields!.at(-1)!;
  const sdlField = `\n  ${JSON.stringify(args.description)}\n  ${section}: ${args.type} @category(id: "${args.category}")`;
  files.set(sdlPath, sdl.slice(0, lastField.loc!.end) + sdlField + sdl.slice(lastField.loc!.end));

  // The catalogue: the category, owned by the institution of the file's own category.
  const catalogueJson = JSON.parse(read(at(relative(ROOT, CATALOGUE_PATH)))) as { categories: Category[] };
  const owner = catalogueJson.categories.find((c) => c.id === shape.existenceCategory);
  if (!owner) throw new NewCategoryRefused(`${shape.existenceCategory} (Person.${shape.personField}) is not in schema/categories.json`);
  const ownPrefix = shape.existenceCategory.slice(0, shape.existenceCategory.indexOf('.'));
  if (prefix !== ownPrefix) throw new NewCategoryRefused(`--category ${args.category}: ${name}'s categories are ${ownPrefix}.<name> (its institution is ${owner.institution})`);
  if (catalogueJson.categories.some((c) => c.id === args.category)) throw new NewCategoryRefused(`${args.category} is in schema/categories.json already`);
  catalogueJson.categories.push({ id: args.category, institution: owner.institution, sensitive: args.sensitive, description: args.description });
  const catalogue = parseCatalogue(catalogueJson, 'schema/categories.json');
  files.set(at(relative(ROOT, CATALOGUE_PATH)), `${JSON.stringify(catalogueJson, null, 2)}\n`);

  // The registry record: the section, absent when not asked.
  const registryPath = at(`subgraphs/${name}/registry.ts`);
  const registry = read(registryPath);
  const records = findNode(sourceFile(registryPath, registry), (n) =>
    ts.isVariableDeclaration(n) && n.initializer && ts.isCallExpression(n.initializer) && n.initializer.expression.getText() === 'z.object'
      ? objectLiteralOf(n.initializer.arguments[0])
      : undefined,
  ).filter((o) => o.properties.some((p) => p.name?.getText() === 'avs'));
  if (records.length !== 1) throw new NewCategoryRefused(`subgraphs/${name}/registry.ts: expected one z.object({ avs, ... }) record, found ${records.length}`);
  if (records[0]!.properties.some((p) => p.name?.getText() === section)) throw new NewCategoryRefused(`subgraphs/${name}/registry.ts has a section "${section}" already`);
  files.set(registryPath, addProperty(registry, records, `${section}: ${scalar.zod}.nullable().optional()`));

  // The file mapping: toFile passes the section on as the field.
  const indexPath = at(`subgraphs/${name}/index.ts`);
  const index = read(indexPath);
  const toFile = findNode(sourceFile(indexPath, index), (n) =>
    ts.isPropertyAssignment(n) && n.name.getText() === 'toFile' && ts.isArrowFunction(n.initializer) ? n.initializer : undefined,
  );
  const mapped = toFile.length === 1 ? objectLiteralOf(toFile[0]!.body as ts.Expression) : undefined;
  if (!mapped) throw new NewCategoryRefused(`subgraphs/${name}/index.ts: expected toFile: (record) => ({ ... })`);
  const param = toFile[0]!.parameters[0]!.name.getText();
  files.set(indexPath, addProperty(index, [mapped], `${section}: ${param}.${section}`));

  // The mocks: every scenario file of this registry, and the generated ones.
  const scenariosPath = at('mocks/scenarios.ts');
  const scenarios = read(scenariosPath);
  const scenarioFiles = findNode(sourceFile(scenariosPath, scenarios), (n) =>
    ts.isPropertyAssignment(n) && n.name.getText() === shape.personField ? objectLiteralOf(n.initializer) : undefined,
  );
  files.set(scenariosPath, addProperty(scenarios, scenarioFiles, `${section}: ${example}`));
  const generatorPath = at('mocks/generator.ts');
  const generator = read(generatorPath);
  const generated = findNode(sourceFile(generatorPath, generator), (n) => (ts.isFunctionDeclaration(n) && n.name?.text === shape.personField ? n : undefined))
    .flatMap((fn) => findNode(fn, (n) => (ts.isReturnStatement(n) ? objectLiteralOf(n.expression) : undefined)))
    .slice(-1);
  if (generated.length !== 1) throw new NewCategoryRefused(`mocks/generator.ts: no function ${shape.personField}() returning the file's record`);
  files.set(generatorPath, addProperty(generator, generated, `${section}: ${example}`));

  // The policy: the institution's own staff, under a legal basis marked for DPO review.
  const policyPath = args.policy ?? at(relative(ROOT, SAMPLE_POLICY_PATH));
  // Checked with zod, but edited as read: the file keeps its keys' order.
  const policyJson = JSON.parse(read(policyPath)) as z.infer<typeof RawPolicy>;
  const policyShape = RawPolicy.safeParse(policyJson);
  if (!policyShape.success) throw new NewCategoryRefused(`${relative(root, policyPath)}: not a policy (${policyShape.error.issues[0]?.message})`);
  const ownRules = policyJson.rules.filter((r) => r.institution === owner.institution && policyJson.legalBases.some((b) => b.id === r.categories[shape.existenceCategory]));
  if (!ownRules.length) throw new NewCategoryRefused(`${relative(root, policyPath)}: no rule of ${owner.institution} releases ${shape.existenceCategory} under a legal basis (the own mandate to copy)`);
  const review: string[] = [];
  for (const basisId of new Set(ownRules.map((r) => r.categories[shape.existenceCategory]!))) {
    const own = policyJson.legalBases.find((b) => b.id === basisId)!;
    const id = `review-${args.category.replace('.', '-').toLowerCase()}${ownRules.some((r) => r.categories[shape.existenceCategory] !== basisId) ? `-${basisId}` : ''}`;
    if (policyJson.legalBases.some((b) => b.id === id)) throw new NewCategoryRefused(`${relative(root, policyPath)}: legal basis "${id}" exists already`);
    policyJson.legalBases.splice(policyJson.legalBases.indexOf(own) + 1, 0, {
      id,
      citation: `${own.citation} (pending DPO review for ${args.category})`,
      summary: `Proposed by npm run new-category for the new category ${args.category} (${args.description}): the own mandate of ${owner.institution} (${own.id}), as for its other categories. A data-protection officer confirms it (maps ${args.category} to ${own.id} and deletes this entry) or changes it; until a rule names ${args.category} for them, other requesters are denied it.`,
      conditions: own.conditions,
    });
    for (const rule of ownRules.filter((r) => r.categories[shape.existenceCategory] === basisId)) {
      rule.categories[args.category] = id;
      review.push(`${relative(root, policyPath)}: ${owner.institution} ${rule.roles.join(', ')} get ${args.category} under "${id}" (citation: ${own.citation}, pending DPO review)`);
    }
  }
  parsePolicy(policyJson, catalogue, policyPath);
  files.set(policyPath, `${JSON.stringify(policyJson, null, 2)}\n`);

  // The supergraph, recomposed from the new SDL: it must compose and cover the new field.
  const scratchDir = mkdtempSync(join(tmpdir(), 'ciigraph-new-category-'));
  const scratch = join(scratchDir, 'schema.graphql');
  writeFileSync(scratch, files.get(sdlPath)!);
  let check;
  try {
    check = checkSubgraphSdl(name, scratch, { catalogue, baselineSupergraph: read(at(relative(ROOT, SUPERGRAPH_PATH))) });
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
  if (check.compositionErrors.length || check.categoryProblems.length || !check.supergraphSdl) {
    throw new NewCategoryRefused(`the new field does not compose:\n  ${[...check.compositionErrors, ...check.categoryProblems].join('\n  ')}`);
  }
  files.set(at(relative(ROOT, SUPERGRAPH_PATH)), check.supergraphSdl);
  review.unshift(
    `schema/categories.json: ${args.category} (${owner.institution}), sensitive: ${args.sensitive} (nDSG art. 5: the DPO decides), "${args.description}"`,
    ...check.categoryChanges.map((c) => `supergraph: ${c}`),
  );
  return { files, review };
}

export function writePlan(plan: NewCategoryPlan): void {
  for (const [path, content] of plan.files) writeFileSync(path, content);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  answerHelp(USAGE);
  try {
    const { values } = parseArgs({
      options: {
        subgraph: { type: 'string' },
        category: { type: 'string' },
        description: { type: 'string' },
        type: { type: 'string' },
        example: { type: 'string' },
        sensitive: { type: 'boolean' },
        policy: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const { 'dry-run': dryRun, ...rest } = values;
    const parsed = NewCategoryArgs.safeParse(rest);
    if (!parsed.success) throw new NewCategoryRefused(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
    const plan = planNewCategory(parsed.data);
    if (!dryRun) writePlan(plan);
    console.log(
      [
        `${dryRun ? 'Would change' : 'Changed'}:`,
        ...[...plan.files.keys()].map((p) => `  ${relative(ROOT, p)}`),
        'For the data-protection officer to review before this ships:',
        ...plan.review.map((r) => `  - ${r}`),
        'Then: shape the mock data in mocks/scenarios.ts and mocks/generator.ts, npx tsc --noEmit, npm test.',
      ].join('\n'),
    );
  } catch (e) {
    const known = e instanceof NewCategoryRefused || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || (e as Error).name === 'StartupError';
    console.error(`new-category: ${known ? (e as Error).message : (e as Error).stack}\nNothing was written.\n${USAGE}`);
    process.exit(known ? 2 : 1);
  }
}
