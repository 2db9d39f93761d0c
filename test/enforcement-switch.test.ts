// The benchmark's baseline (enforcement off) is a composition-root option only: the default
// stack enforces, and no configuration turns it off.
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
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ai.medical' });
    } finally {
      await stack.close();
    }
  });

  it('can be switched off only by the composition root (the benchmark baseline), which then journals nothing', async () => {
    const stack = await startTestStack({ enforcement: false });
    try {
      const { body } = await gql(stack.gatewayUrl, Q, {}, stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' }));
      expect(body.data.person.disability.medical.diagnoses.length).toBeGreaterThan(0);
      expect((await stack.audit.verify()).count).toBe(0);
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
