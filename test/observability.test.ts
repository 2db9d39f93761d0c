// Observability without personal data: the structured logs of a whole run (every scenario
// person, several requesters, denials, a failing registry, a consent recorded) hold none of
// the scenario persons' data, and carry the gateway's request id into the subgraphs' lines;
// /metrics counts requests, errors, decisions by category and outcome, subgraph latency.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTo } from '../lib/log.ts';
import { seedConsent, storeConsentForm } from './support/consents.ts';
import { CASELOAD } from './support/queries.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const SCENARIOS = ['756.1234.5678.97', '756.9876.5432.17', '756.1111.2222.39', '756.4444.5555.62', '756.0000.0000.19'];
// Values the mock registries hold for the scenario persons.
const PERSONAL = ['Sophie Meyer', 'Marc Dubois', 'Laura Rossi', 'IFAGE', 'osteoarthritis', 'gonarthrosis', 'Jonction', 'Plainpalais', '1180.5', 'concierge', 'Office skills'];

const lines: string[] = [];
let stack: TestStack;
beforeAll(async () => {
  logTo(new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) }), 'info');
  stack = await startTestStack();
});
afterAll(async () => stack?.close());

describe('a run of the whole stack', () => {
  it('logs no personal data, and the gateway request id reaches the subgraph logs', async () => {
    for (const avs of SCENARIOS) await seedConsent(stack.consents, { avs, recipients: ['AI'], categories: ['ac.entitlement', 'as.benefits'], purpose: 'cii' });
    const requesters = [
      { institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' },
      { institution: 'AC', role: 'counsellor', purpose: 'cii' },
      { institution: 'PC', role: 'pc-officer' },
      { institution: 'CII', role: 'dpo' },
    ];
    const tokens: string[] = [];
    for (const r of requesters) {
      const headers = stack.as(r);
      tokens.push(headers.authorization!.slice(7));
      const { body } = await gql(stack.gatewayUrl, CASELOAD, { avs: SCENARIOS }, headers);
      expect(body.data.persons).toHaveLength(5);
    }
    const evidence = await storeConsentForm(stack.gatewayUrl, stack.as(requesters[0]!));
    await gql(stack.gatewayUrl, `mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }`, {
      i: { avs: SCENARIOS[0], recipients: ['AS'], categories: ['ac.entitlement'], purpose: 'cii', validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), evidence },
    }, stack.as(requesters[0]!));
    await gql(stack.gatewayUrl, `{ person(avs: "756.1234.5678.98") { avs } }`, {}, stack.as(requesters[1]!)); // bad input
    await stack.mocks!.close(); // registries fail: warnings are logged
    await gql(stack.gatewayUrl, CASELOAD, { avs: SCENARIOS }, stack.as(requesters[1]!));

    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const avs of SCENARIOS) {
      expect(text).not.toContain(avs);
      expect(text).not.toContain(avs.replaceAll('.', ''));
    }
    for (const value of PERSONAL) expect(text.toLowerCase()).not.toContain(value.toLowerCase());
    for (const token of tokens) expect(text).not.toContain(token.split('.')[2]!);
    expect(text).toMatch(/registry lookup failed/);

    // Every line is JSON; request lines carry the request id across gateway and subgraphs.
    const records = lines.map((l) => JSON.parse(l) as { service?: string; requestId?: string; msg: string });
    const gatewayIds = new Set(records.filter((r) => r.service === 'gateway' && r.msg === 'graphql request').map((r) => r.requestId));
    const subgraphIds = new Set(records.filter((r) => r.service === 'unemployment' && r.msg === 'graphql request').map((r) => r.requestId));
    expect(gatewayIds.size).toBeGreaterThan(4);
    expect([...subgraphIds].every((id) => gatewayIds.has(id))).toBe(true);
    expect(subgraphIds.size).toBeGreaterThan(3);
  });

  it('exposes requests, errors, decisions by category and outcome, and subgraph latency at /metrics', async () => {
    const res = await fetch(`${stack.gatewayUrl}/metrics`);
    expect(res.status).toBe(200);
    const metrics = await res.text();
    expect(metrics).toMatch(/ciigraph_requests_total\{service="gateway",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_access_decisions_total\{subgraph="unemployment",category="ac.registration",decision="ALLOWED",reason=""\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_access_decisions_total\{subgraph="disability",category="ai.medical",decision="DENIED",reason="NEVER"\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_errors_total\{service="gateway",code="FORBIDDEN"\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_errors_total\{service="gateway",code="REGISTRY_UNAVAILABLE"\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_subgraph_request_duration_seconds_bucket\{le="[^"]+",subgraph="disability",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/ciigraph_registry_request_duration_seconds_count\{registry="AC",outcome="error"\} [1-9]/);
    for (const avs of SCENARIOS) expect(metrics).not.toContain(avs);
  });
});
