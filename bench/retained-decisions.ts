// `node --expose-gc --import tsx bench/retained-decisions.ts`: the heap a subgraph keeps per
// request for its decisions (RequestAccess, kept while the gateway may call again: 10 s by
// default), for a 200-person caseload in the social-assistance subgraph (3 categories), in a
// process whose other subgraphs' categories were numbered first. Deterministic, unlike speed.
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { MemoryConsentStore } from '../lib/consents/memory.ts';
import { AuditBatcher } from '../lib/audit/batcher.ts';
import { RequestAccess, categorySlot } from '../subgraphs/shared/request-access.ts';
import { caseload } from './queries.ts';
const policy = loadPolicy(loadCatalogue());
const consents = new MemoryConsentStore();
const persons = caseload(200);
for (const avs of persons) await consents.grant({ avs, recipients: ['AI'], categories: ['ac.entitlement','as.benefits','as.situation'], purpose: 'cii', validUntil: '2027-12-31', grantedAt: '2026-11-01', evidence: 'a'.repeat(64), recordedBy: { institution: 'AI', role: 'case-manager', subject: 'x' } } as any);
const audit = new AuditBatcher({ appendGroups: async () => {}, append: async () => {} } as any);
// Other subgraphs' categories get slots first, as in one process with five subgraphs.
for (const c of ['ac.registration','ac.entitlement','ac.measures','ac.employability','ai.file','ai.measures','ai.decision','ai.workCapacity','ai.medical','pc.file','pc.amounts','pc.obligations','consent.records','audit.accessLog']) categorySlot(c);
const cats = ['as.dossier', 'as.benefits', 'as.situation'];
const keep: RequestAccess[] = [];
const gc = (globalThis as any).gc;
gc(); const before = process.memoryUsage().heapUsed;
for (let r = 0; r < 300; r++) {
  const a = new RequestAccess({ policy, consents, audit, clock: { now: () => new Date() } }, { institution: 'AI', role: 'case-manager', subject: 's' } as any, { purpose: 'cii', caseReference: 'AI-1' }, 'social-assistance', `r${r}`);
  await Promise.all(persons.map((p) => a.decided(p, [cats[0]!])));
  await Promise.all(persons.map((p) => a.decided(p, cats.slice(1))));
  keep.push(a);
}
gc(); const after = process.memoryUsage().heapUsed;
console.log('retained per RequestAccess (200 persons):', ((after - before) / keep.length / 1024).toFixed(1), 'KiB');
