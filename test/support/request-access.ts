// One subgraph request's access decisions for an ORP counsellor on the disability subgraph,
// journaling into a list of groups the test can read (no hash chain, no store).
import { loadPolicy } from '../../lib/access/policy.ts';
import { AuditBatcher } from '../../lib/audit/batcher.ts';
import type { EntryGroup } from '../../lib/audit/chain.ts';
import type { AuditLog } from '../../lib/audit/log.ts';
import type { ConsentStore } from '../../lib/consents/store.ts';
import { loadCatalogue } from '../../lib/schema/catalogue.ts';
import { RequestAccess } from '../../subgraphs/shared/request-access.ts';

const policy = loadPolicy(loadCatalogue());

export function counsellorAccess(consents: ConsentStore): { access: RequestAccess; groups: EntryGroup[] } {
  const groups: EntryGroup[] = [];
  const log = { appendGroups: async (g: readonly EntryGroup[]) => void groups.push(...g) } as unknown as AuditLog;
  const access = new RequestAccess(
    { policy, consents, audit: new AuditBatcher(log), clock: { now: () => new Date('2026-11-30T10:00:00Z') } },
    { institution: 'AC', role: 'counsellor', subject: 'c-1' },
    { purpose: 'cii', caseReference: 'AC-1' },
    'disability',
    'r-1',
  );
  return { access, groups };
}
