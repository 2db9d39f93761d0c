// The catalogue's errors are decided outcomes: made without a stack trace (issue 24: a
// caseload's denials spent a quarter of a subgraph's CPU on stacks), and without changing
// the stack traces of real faults made before or after them.
import { locatedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, errors } from '../lib/errors.ts';

describe('catalogue errors', () => {
  it('a denial carries its code, category and reason but no stack frames, also once located in a response', () => {
    const denied = errors.denied({ avs: '756.1234.5678.97', category: 'ai.medical', allowed: false, reason: 'NO_CONSENT', rule: 3 } as never, 'No consent.');
    expect(denied.extensions).toMatchObject({ code: ErrorCode.FORBIDDEN, category: 'ai.medical', reason: 'NO_CONSENT' });
    expect(denied.stack).not.toMatch(/\n\s+at /);
    const located = locatedError(denied, [], ['persons', 0, 'disability', 'medical']);
    expect(located.stack).not.toMatch(/\n\s+at /);
    expect(located.extensions.code).toBe(ErrorCode.FORBIDDEN);
  });

  it('every kind in the catalogue is made without a stack', () => {
    for (const e of [errors.badUserInput('bad'), errors.unauthenticated(), errors.auditUnavailable(), errors.consentStoreUnavailable(), errors.caseRepertoryUnavailable(), errors.registryUnavailable('AI')]) {
      expect(e.stack).not.toMatch(/\n\s+at /);
    }
  });

  it('faults keep their stack traces', () => {
    errors.auditUnavailable();
    expect(new Error('a real fault').stack).toMatch(/\n\s+at /);
  });
});
