// A file field and the categories selected under it are decided in one batch and journaled as
// one record, before the registry is asked: one write and one wait per subgraph call, not
// two. Under a denied file nothing is decided or logged (CONTRACT.md): only the file's own
// category is in the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryAuditLog } from '../lib/audit/memory.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
let stack: TestStack;
let audit: MemoryAuditLog;
beforeAll(async () => {
  stack = await startTestStack();
  audit = stack.audit as MemoryAuditLog;
});
afterAll(async () => stack?.close());

async function journaled(run: () => Promise<unknown>) {
  const before = await audit.verify();
  const entriesBefore = audit.all().length;
  await run();
  const after = await audit.verify();
  if (!before.ok || !after.ok) throw new Error('chain broken');
  return { records: after.records - before.records, entries: audit.all().slice(entriesBefore) };
}

describe('a file and what is selected under it', () => {
  it('are decided together and journaled as one record when the file is released', async () => {
    const q = `query($avs: ID!) { person(avs: $avs) { unemployment { office entitlement { entitledDays } measures { title } } } }`;
    const { records, entries } = await journaled(async () => {
      const { body } = await gql(stack.gatewayUrl, q, { avs: PAINTER }, stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' }));
      expect(body.errors).toBeUndefined();
      expect(body.data.person.unemployment.entitlement.entitledDays).toBeGreaterThan(0);
    });
    expect(records).toBe(1);
    expect(entries.map((e) => e.category).sort()).toEqual(['ac.entitlement', 'ac.measures', 'ac.registration']);
    expect(new Set(entries.map((e) => e.requestId)).size).toBe(1);
  });

  it('leaves what is under a denied file undecided and unlogged', async () => {
    // PC may read as.dossier only with a consent; none is on file.
    const q = `query($avs: ID!) { person(avs: $avs) { socialAssistance { center benefits { monthlyAmount } situation { issues } } } }`;
    const { entries } = await journaled(async () => {
      const { body } = await gql(stack.gatewayUrl, q, { avs: PAINTER }, stack.as({ institution: 'PC', role: 'pc-officer', purpose: 'cii', caseReference: 'PC-1' }));
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'as.dossier' });
    });
    expect(entries.map((e) => [e.category, e.decision])).toEqual([['as.dossier', 'DENIED']]);
    expect(stack.mocks!.calls['social-assistance']).toBe(0);
  });
});
