// Enforcement has no off switch: the stack always enforces, and no configuration turns it
// off (the benchmark builds its unenforced baseline from public pieces, in bench/).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';
import { gql, startTestStack } from './support/stack.ts';

const Q = `{ person(avs: "756.1234.5678.97") { disability { medical { diagnoses } } } }`;

describe('enforcement', () => {
  it('is on by default: ai.medical stays with the AI', async () => {
    const stack = await startTestStack();
    try {
      const { body } = await gql(stack.gatewayUrl, Q, {}, stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' }));
      expect(body.data.person.disability.medical).toBeNull();
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ai.medical', reason: 'NEVER' });
    } finally {
      await stack.close();
    }
  });

  it('has no environment variable that turns it off', () => {
    for (const key of ['ENFORCEMENT', 'CIIGRAPH_ENFORCEMENT', 'POLICY_ENFORCEMENT']) {
      expect(JSON.stringify(loadConfig({ [key]: 'off' }))).not.toMatch(/enforcement/i);
    }
  });
});
