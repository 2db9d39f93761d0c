// `npx tsx bench/subgraphs-only.ts`: the policy's cost in the subgraphs alone, without HTTP,
// gateway or other processes: the four institution subgraphs answer the gateway's _entities
// operation for the 200 persons of Q2-200 (registries answered in-process by the mocks' own
// data), with enforcement on and off, in alternating rounds; prints the median CPU per request.
// Far less noisy than the whole stack; run it with the product's flags:
//   node --max-semi-space-size=32 --import tsx bench/subgraphs-only.ts [profile-on|profile-off]
// (profile-*: 150 requests of one variant, for node --cpu-prof).
// --sequential: the four subgraphs one after the other, so each journals its own records as
// in the split stack (together, their decisions of a turn share records: cheaper than real).
import { parse, execute } from 'graphql';
import { MemoryCaseRepertory } from '../lib/cases/memory.ts';
import { MOCK_CASE_SEED } from '../mocks/cases.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, REGISTRY_SUBGRAPHS } from '../lib/config.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { Journal } from '../lib/audit/journal.ts';
import { personFactsReader } from '../lib/access/person-facts.ts';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parseSubgraphSdl } from '../lib/schema/subgraph-sdl.ts';
import { buildSchema } from '../subgraphs/shared/server.ts';
import { RequestDecisions } from '../subgraphs/shared/request-decisions.ts';
import { ReleaseEverything } from './unenforced.ts';
import { createFileLoader } from '../subgraphs/shared/file-loader.ts';
import { lookupFiles } from '../mocks/registry-data.ts';
import { caseload, CASELOAD_CONSENTED_CATEGORIES, CASELOAD_REQUESTER } from './queries.ts';
const dir = mkdtempSync(join(tmpdir(), 'sg-'));
const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', DEV_TOKEN_SECRET_FILE: join(dir, 'a'), CONSENT_SIGNING_KEY_FILE: join(dir, 'b'), LOG_LEVEL: 'silent' } as any);
const catalogue = loadCatalogue();
const policy = loadPolicy(catalogue);
const consents = new MemoryConsentStore();
// Persons per request: 200 (Q2-200) by default, `--persons N` for another caseload.
const personsArg = process.argv.indexOf('--persons');
const persons = caseload(personsArg > 0 ? Number(process.argv[personsArg + 1]) : 200);
// As the production bench's Q2-200: the social worker's caseload, each person an open case of
// social assistance with a consent naming AS (bench/lib/seed.ts).
const requester = { institution: CASELOAD_REQUESTER.institution, role: CASELOAD_REQUESTER.role, subject: CASELOAD_REQUESTER.sub } as const;
for (const avs of persons) await consents.grant({ avs, recipients: ['AS'], categories: CASELOAD_CONSENTED_CATEGORIES, purpose: 'cii', validUntil: '2027-12-31', grantedAt: '2026-11-01', evidence: 'a'.repeat(64), recordedBy: requester } as any);
const audit = new MemoryAuditLog();
const journal = new Journal(audit);
const cases = new MemoryCaseRepertory(MOCK_CASE_SEED);
for (const avs of persons) await cases.openCase({ avs, institution: 'AS', caseReference: `HG-BENCH-${avs.replace(/\D/g, '')}`, on: '2026-11-01' });
const readFacts = personFactsReader(consents, cases);
const clock = { now: () => new Date() };
const sel: Record<string, string> = {
  unemployment: 'unemployment { registeredSince office counsellor entitlement { frameworkStart frameworkEnd entitledDays remainingDays exhaustionDate } measures { kind title provider from to } employability { placeable assessedOn } }',
  disability: 'disability { filedOn status caseManager measures { kind title from to } decision { invalidityDegree pension decidedOn } workCapacity { usualActivityPercent adaptedActivityPercent assessedOn } medical { diagnoses limitations } }',
  'social-assistance': 'socialAssistance { openedOn center socialWorker benefits { monthlyAmount complementsUnemployment } situation { issues } }',
  'supplementary-benefits': 'supplementaryBenefits { entitledSince monthlyAmount hypotheticalIncome orpRegistrationRequired }',
};
// A caseload names no case reference: each person's own open case applies.
const facts = { purpose: CASELOAD_REQUESTER.purpose };
const subgraphs = await Promise.all(REGISTRY_SUBGRAPHS.map(async (name) => {
  const { define } = await import(`../subgraphs/${name}/index.ts`);
  const variants: any = {};
  for (const enforcement of [true, false]) {
    const deps: any = { config, catalogue, policy, consents, audit, journal, readFacts, clock, credentialKeys: {} as any, storesStatus: () => 'up' };
    const def = define(deps);
    const schema = enforcement ? buildSchema(def, deps) : buildSubgraphSchema({ typeDefs: parseSubgraphSdl(def.schemaPath), resolvers: def.resolvers });
    variants[String(enforcement)] = { def, schema };
  }
  const client = { lookup: async (lookups: any[]) => { const r: any = lookupFiles(name, { requests: lookups } as any); return new Map(r.files.map((f: any) => [f.avs, f])); } };
  return { name, variants, client, document: parse(`query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Person { ${sel[name]} } } }`) };
}));
const representations = persons.map((avs) => ({ __typename: 'Person', avs }));
let req = 0;
const sequential = process.argv.includes('--sequential');
async function once(enforcement: boolean) {
  const requestId = `r${req++}`;
  const each = sequential ? async (f: (s: any) => Promise<void>) => { for (const s of subgraphs) await f(s); } : (f: (s: any) => Promise<void>) => Promise.all(subgraphs.map(f));
  await each(async (s: any) => {
    const v = s.variants[String(enforcement)];
    const access = enforcement ? new RequestDecisions({ policy, readFacts, journal, clock }, requester as any, facts, s.name, requestId) : new ReleaseEverything(requester as any);
    const contextValue = { ...v.def.context(), files: createFileLoader(s.client as any), requestId, access };
    const r: any = await execute({ schema: v.schema, document: s.document, variableValues: { representations }, contextValue });
    // Denials are answers (the social worker is denied what LPGA 32 releases only in a named case); anything else is a fault.
    const fault = r.errors?.find((e: any) => e.extensions?.code !== 'FORBIDDEN');
    if (fault) throw new Error(JSON.stringify(fault));
    JSON.stringify(r);
  });
}
if (process.argv[2] === "profile-on") { for (let i = 0; i < 150; i++) await once(true); process.exit(0); }
if (process.argv[2] === "profile-off") { for (let i = 0; i < 150; i++) await once(false); process.exit(0); }
for (let i = 0; i < 20; i++) { await once(true); await once(false); }
// Pairs of adjacent on/off parts (order alternating), a few requests each: the median of the
// pairs' differences is the policy's cost, far steadier on a shared machine than two medians.
const N = Math.max(5, Math.round(1000 / persons.length));
const res: { on: number[]; off: number[]; diff: number[] } = { on: [], off: [], diff: [] };
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 6;
const pairs = rounds * 8;
const part = async (e: boolean) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await once(e);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / N;
};
for (let p = 0; p < pairs; p++) {
  const first = p % 2 === 0;
  const a = await part(first);
  const b = await part(!first);
  const [on, off] = first ? [a, b] : [b, a];
  res.on.push(on);
  res.off.push(off);
  res.diff.push(on - off);
}
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
const med = (a: number[]) => sorted(a)[a.length >> 1]!;
const q = (a: number[], f: number) => sorted(a)[Math.floor((a.length - 1) * f)]!;
console.log(
  `subgraphs only, ${persons.length} persons, CPU ms/request: on ${med(res.on).toFixed(2)}, off ${med(res.off).toFixed(2)} (medians); ` +
    `policy ${med(res.diff).toFixed(3)} ms (median of ${pairs} paired differences, quartiles ${q(res.diff, 0.25).toFixed(3)} … ${q(res.diff, 0.75).toFixed(3)})`,
);
