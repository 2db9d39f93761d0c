// One subgraph request's access decisions for an ORP counsellor on the disability subgraph,
// journaling into an in-memory access log the test reads entry by entry.
import { personFactsReader } from '../../lib/access/person-facts.ts';
import { MemoryCaseRepertory } from '../../lib/cases/memory.ts';
import type { CaseRepertory } from '../../lib/cases/store.ts';
import { MOCK_CASE_SEED } from '../../mocks/cases.ts';
import { loadPolicy } from '../../lib/access/policy.ts';
import { Journal } from '../../lib/audit/journal.ts';
import { MemoryAuditLog } from '../../lib/audit/memory.ts';
import type { ConsentStore } from '../../lib/consents/store.ts';
import { loadCatalogue } from '../../lib/schema/catalogue.ts';
import { RequestDecisions } from '../../subgraphs/shared/request-decisions.ts';

export const policy = loadPolicy(loadCatalogue());

export function counsellorDecisions(consents: ConsentStore, cases: CaseRepertory = new MemoryCaseRepertory(MOCK_CASE_SEED)): { access: RequestDecisions; log: MemoryAuditLog } {
  const log = new MemoryAuditLog();
  const access = new RequestDecisions(
    { policy, readFacts: personFactsReader(consents, cases), journal: new Journal(log), clock: { now: () => new Date('2026-11-30T10:00:00Z') } },
    { institution: 'AC', role: 'counsellor', subject: 'c-1' },
    { purpose: 'cii' },
    'disability',
    'r-1',
  );
  return { access, log };
}
