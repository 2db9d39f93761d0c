import { describe, expect, it } from 'vitest';
import { aiDecision } from '../../lib/notifications/rules/ai-decision.ts';

describe('event rule ai-decision', () => {
  it('notices a decision that appears or changes, about the day of the decision', () => {
    expect(aiDecision.detect({ file: true, status: 'ASSESSMENT' }, { file: true, status: 'DECIDED', decidedOn: '2026-12-14' }, '2026-12-15')).toEqual([
      { about: '2026-12-14', message: 'The AI decided on 2026-12-14.' },
    ]);
    expect(aiDecision.detect({ file: true, decidedOn: '2025-03-14' }, { file: true, decidedOn: '2026-12-14' }, '2026-12-15')).toHaveLength(1);
  });
  it('says nothing for the same decision, for none, or for an old one seen for the first time', () => {
    expect(aiDecision.detect({ file: true, decidedOn: '2026-12-14' }, { file: true, decidedOn: '2026-12-14' }, '2026-12-20')).toEqual([]);
    expect(aiDecision.detect({ file: true }, { file: true }, '2026-12-20')).toEqual([]);
    expect(aiDecision.detect(undefined, { file: true, decidedOn: '2025-03-14' }, '2026-12-20')).toEqual([]);
    expect(aiDecision.detect(undefined, { file: true, decidedOn: '2026-12-14' }, '2026-12-20')).toHaveLength(1);
  });
  it('is data of ai.decision, from the AI', () => {
    expect(aiDecision.sources).toEqual({ AI: 'ai.decision' });
  });
});
