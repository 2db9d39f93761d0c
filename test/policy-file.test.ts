// The policy is data: validated at start (an invalid file stops the start with the file, the
// rule and the fault), and another canton's policy is a configuration change, not code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import { StartupError } from '../lib/errors.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { gql, startTestStack } from './support/stack.ts';

const catalogue = loadCatalogue();
const sample = () => JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8'));
const faultsOf = (policy: unknown): string[] => {
  try {
    parsePolicy(policy, catalogue, 'canton-xy.json');
  } catch (e) {
    expect(e).toBeInstanceOf(StartupError);
    expect((e as StartupError).file).toBe('canton-xy.json');
    return (e as StartupError).problems;
  }
  return [];
};
const ruleIndex = (p: any, inst: string, role: string) => p.rules.findIndex((r: any) => r.institution === inst && r.roles.includes(role));

describe('the policy file is validated at start', () => {
  it('accepts the sample policy', () => {
    const policy = loadPolicy(catalogue);
    expect(policy.purposes.has('cii')).toBe(true);
    expect(policy.releaseFor('AI', 'case-manager', 'ac.registration')).toMatchObject({ kind: 'legalBasis', basis: { citation: 'LPGA art. 32 al. 1 et 2' } });
  });

  it('names the rule and the fault: unknown category', () => {
    const p = sample();
    const i = ruleIndex(p, 'AI', 'case-manager');
    p.rules[i].categories['ac.entitlment'] = 'lpga-32';
    expect(faultsOf(p)).toEqual([`rules[${i}] (AI case-manager): category "ac.entitlment" is not in the catalogue`]);
  });

  it('names the rule and the fault: unknown legal basis', () => {
    const p = sample();
    const i = ruleIndex(p, 'AS', 'social-worker');
    p.rules[i].categories['ac.entitlement'] = 'laci-85x';
    expect(faultsOf(p)[0]).toMatch(new RegExp(`^rules\\[${i}\\] \\(AS social-worker\\): category "ac.entitlement" names "laci-85x", which is neither a legal basis`));
  });

  it('refuses a rule that would let ai.medical leave the AI, by law or by consent', () => {
    const p = sample();
    const i = ruleIndex(p, 'AC', 'counsellor');
    p.rules[i].categories['ai.medical'] = 'consent';
    expect(faultsOf(p)).toEqual([`rules[${i}] (AC counsellor): "ai.medical" never leaves AI, but this rule releases it to AC by consent`]);
  });

  it('refuses two rules for the same institution and role', () => {
    const p = sample();
    p.rules.push({ institution: 'AC', roles: ['counsellor'], categories: {} });
    expect(faultsOf(p)[0]).toMatch(/AC counsellor is already covered by rules\[\d+\]/);
  });

  it('refuses unknown roles, roles at the wrong institution, unknown conditions and purposes', () => {
    const p = sample();
    p.rules.push({ institution: 'PC', roles: ['counsellor', 'judge'], categories: {} });
    p.legalBases[0].conditions.push({ type: 'moonPhase' });
    p.legalBases[1].conditions.push({ type: 'purposeIn', purposes: ['curiosity'] });
    const faults = faultsOf(p);
    expect(faults).toContain(`rules[${p.rules.length - 1}] (PC counsellor, judge): role "counsellor" does not exist at PC (only at AC)`);
    expect(faults).toContain(`rules[${p.rules.length - 1}] (PC counsellor, judge): unknown role "judge"`);
    expect(faults.some((f) => /legalBases\[0\] \(own-ac\)\.conditions\[0\]: unknown condition type "moonPhase"/.test(f))).toBe(true);
    expect(faults.some((f) => /legalBases\[1\] \(own-ai\)\.conditions\[0\]: purpose "curiosity" is not in the policy's purposes/.test(f))).toBe(true);
  });

  it('refuses a file that is not a policy at all, naming the field', () => {
    expect(faultsOf({ name: 'x' }).join('\n')).toMatch(/version|purposes|roles/);
    const p = sample();
    p.rules[0].categories = 'everything';
    expect(faultsOf(p).join('\n')).toMatch(/rules\.0\.categories/);
  });

  it('stops the stack from starting, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-policy-'));
    const file = join(dir, 'policy.json');
    writeFileSync(file, '{ "name": "broken", ');
    await expect(startTestStack({ env: { POLICY_FILE: file } })).rejects.toThrow(new RegExp(`${file}[\\s\\S]*cannot read or parse`));
  });
});

describe("another canton's policy is a configuration change", () => {
  it('a counsellor reads work capacity once the canton gives AC ai.workCapacity under LAI art. 68bis', async () => {
    const p = sample();
    p.name = 'Canton XY';
    p.rules[ruleIndex(p, 'AC', 'counsellor')].categories['ai.workCapacity'] = 'lai-68bis';
    const dir = mkdtempSync(join(tmpdir(), 'ciigraph-policy-'));
    const file = join(dir, 'canton-xy.json');
    writeFileSync(file, JSON.stringify(p));
    const q = `query($avs: ID!) { person(avs: $avs) { disability { workCapacity { adaptedActivityPercent } } } }`;
    const asCounsellor = { institution: 'AC', role: 'counsellor', purpose: 'cii' };

    const sampleStack = await startTestStack();
    const xyStack = await startTestStack({ env: { POLICY_FILE: file } });
    try {
      const before = await gql(sampleStack.gatewayUrl, q, { avs: '756.1234.5678.97' }, sampleStack.as(asCounsellor));
      expect(before.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ai.workCapacity' });
      const after = await gql(xyStack.gatewayUrl, q, { avs: '756.1234.5678.97' }, xyStack.as(asCounsellor));
      expect(after.body.errors).toBeUndefined();
      expect(after.body.data.person.disability.workCapacity.adaptedActivityPercent).toBe(100);
    } finally {
      await sampleStack.close();
      await xyStack.close();
    }
  });
});
