// A field whose object is reachable only through fields of its own category was decided with
// that field: enforcement does not ask again. Any
// other way to the object (a field of another category or of none, a root, an entity, a union,
// an interface) keeps the field's own guard.
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../lib/access/policy.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { decidedOnArrival, enforceCategories } from '../subgraphs/shared/enforce-categories.ts';
import type { ActionDecision } from '../lib/access/decide.ts';
import type { Decision, Denied } from '../lib/access/decision.ts';
import type { AccessDecisions } from '../subgraphs/shared/request-decisions.ts';
import { parseSubgraphSdl, subgraphSchemaPath } from '../lib/schema/subgraph-sdl.ts';
import { SUBJECT } from '../subgraphs/shared/subject.ts';

const HEADER = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
  directive @category(id: String!) on FIELD_DEFINITION
`;
const schemaOf = (sdl: string) => buildSubgraphSchema({ typeDefs: parse(HEADER + sdl) });
const PAINTER = '756.1234.5678.97';

describe('decidedOnArrival', () => {
  it('names the category of every field that reaches a type, when it is one and the same', () => {
    const s = schemaOf(`
      type Person @key(fields: "avs") { avs: ID! file: File @category(id: "f") other: File @category(id: "f") }
      type File { office: String @category(id: "f") detail: Detail @category(id: "d") }
      type Detail { amount: Int }
      type Query { ping: String }
    `);
    expect(Object.fromEntries(decidedOnArrival(s))).toEqual({ File: 'f', Detail: 'd' });
  });

  it('names none when another category, no category, a root, a union or an interface reaches the type, or it is an entity', () => {
    const s = schemaOf(`
      type Person @key(fields: "avs") { avs: ID! a: Mixed @category(id: "f") b: Mixed @category(id: "g") c: Bare @category(id: "f") d: Bare e: Thing @category(id: "f") u: Member @category(id: "f") i: Implementing @category(id: "f") }
      type Mixed { x: String @category(id: "f") }
      type Bare { x: String @category(id: "f") }
      type Thing @key(fields: "id") { id: ID! x: String @category(id: "f") }
      type Member { x: String @category(id: "f") }
      union Either = Member | Mixed
      interface Named { x: String }
      type Implementing implements Named { x: String @category(id: "f") }
      type Query { either: Either @category(id: "f") rooted: Rooted @category(id: "f") }
      type Rooted { x: String @category(id: "f") }
    `);
    const decided = decidedOnArrival(s);
    for (const t of ['Mixed', 'Bare', 'Thing', 'Member', 'Implementing', 'Query', 'Person']) expect(decided.has(t), t).toBe(false);
    // The root field is guarded by its category, so what only it reaches was decided with it.
    expect(decided.get('Rooted')).toBe('f');
  });

  it('covers the institution files: their own-category fields are decided with the file field', () => {
    const file = (name: string) => decidedOnArrival(buildSubgraphSchema({ typeDefs: parseSubgraphSdl(subgraphSchemaPath(name)) }));
    expect(file('unemployment').get('UnemploymentFile')).toBe('ac.registration');
    expect(file('disability').get('DisabilityFile')).toBe('ai.file');
    expect(file('social-assistance').get('SocialAssistanceFile')).toBe('as.dossier');
    expect(file('supplementary-benefits').get('SupplementaryBenefitsFile')).toBe('pc.entitlement');
  });
});

/** Decisions fixed in advance, counting how often enforcement asks. */
class Scripted implements AccessDecisions {
  readonly requester = { institution: 'AC', role: 'counsellor', subject: 't' } as const;
  readonly request = {};
  asked: string[] = [];
  constructor(private readonly allowed: Set<string>) {}
  private decision(avs: string, category: string): Decision {
    return this.allowed.has(category) ? { avs, category, allowed: true, rule: 0, legalBasis: 'test' } : { avs, category, allowed: false, reason: 'NO_RULE' };
  }
  known(avs: string, category: string): Decision {
    this.asked.push(category);
    return this.decision(avs, category);
  }
  ask(avs: string, category: string): Promise<Decision> {
    return Promise.resolve(this.known(avs, category));
  }
  async released(avs: string, categories: readonly string[]): Promise<string[]> {
    return categories.filter((c) => this.known(avs, c).allowed);
  }
  explain(d: Denied): string {
    return d.reason;
  }
  async decideAction(): Promise<ActionDecision> {
    return { allowed: true };
  }
  explainAction(action: string): string {
    return action;
  }
}

function run(schema: GraphQLSchema, access: Scripted, query: string) {
  return execute({ schema, document: parse(query), contextValue: { requestId: 'r', access } });
}

describe('enforcement over a file', () => {
  const sdl = `
    type Person @key(fields: "avs") { avs: ID! file: File @category(id: "f") }
    type File { office: String @category(id: "f") counsellor: String @category(id: "f") secret: String @category(id: "g") }
    type Query { person(avs: ID!): Person }
  `;
  const build = () => {
    const s = schemaOf(sdl);
    s.getQueryType()!.getFields().person!.resolve = (_: unknown, { avs }: { avs: string }) => ({ avs });
    (s.getType('Person') as any).getFields().file.resolve = (p: { avs: string }) => ({ office: 'Genève', counsellor: 'M. Rossier', secret: 's', [SUBJECT]: p.avs });
    return enforceCategories(s, loadPolicy(loadCatalogue()));
  };
  const q = `{ person(avs: "${PAINTER}") { file { office counsellor secret } } }`;

  it('asks once for the file category, and again only for another category under it', async () => {
    const access = new Scripted(new Set(['f', 'g']));
    const r = await run(build(), access, q);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ person: { file: { office: 'Genève', counsellor: 'M. Rossier', secret: 's' } } });
    expect(access.asked).toEqual(['f', 'g']);
  });

  it('still denies the other category under an allowed file', async () => {
    const access = new Scripted(new Set(['f']));
    const r = await run(build(), access, q);
    expect(r.data).toEqual({ person: { file: { office: 'Genève', counsellor: 'M. Rossier', secret: null } } });
    expect(r.errors?.map((e) => e.extensions?.category)).toEqual(['g']);
  });

  it('returns nothing of a denied file', async () => {
    const access = new Scripted(new Set(['g']));
    const r = await run(build(), access, q);
    expect(r.data).toEqual({ person: { file: null } });
    expect(r.errors?.map((e) => e.extensions?.category)).toEqual(['f']);
  });
});
