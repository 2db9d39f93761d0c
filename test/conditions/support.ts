// A condition's input, with what a test does not say left empty.
import type { ConditionInput } from '../../lib/access/conditions/index.ts';

export const input = (over: Partial<ConditionInput> = {}): ConditionInput => ({
  request: {},
  requester: { institution: 'AC', role: 'counsellor', subject: 'c-1' },
  institution: 'AC',
  avs: '756.1234.5678.97',
  facts: { consents: [], cases: [] },
  ...over,
});
