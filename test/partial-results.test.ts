// A subgraph or a registry that is down costs only its own part: the other institutions'
// data comes back with an error for the failing one; a dead dependency's circuit opens so it
// fails fast; /readyz says what is down; everything recovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../lib/resilience/circuit-breaker.ts';
import { isTransientFailure, withRetry } from '../lib/resilience/retry.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

const PAINTER = '756.1234.5678.97';
const Q = `query($avs: ID!) { person(avs: $avs) { unemployment { office } disability { status } socialAssistance { center } } }`;

let stack: TestStack;
const headers = () => stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' });
beforeAll(async () => {
  stack = await startTestStack({ env: { SUBGRAPH_TIMEOUT_MS: '1500', REGISTRY_TIMEOUT_MS: '800' } });
});
afterAll(async () => stack?.close());

describe('partial results', () => {
  it('serves the other institutions when one subgraph is down, and names the missing part', async () => {
    const sa = stack.services.find((s) => s.name === 'social-assistance')!;
    await sa.close();
    const { status, body } = await gql(stack.gatewayUrl, Q, { avs: PAINTER }, headers());
    expect(status).toBe(200);
    expect(body.data.person.unemployment.office).toBeTruthy();
    expect(body.data.person.disability.status).toBe('EARLY_INTERVENTION');
    expect(body.data.person.socialAssistance).toBeNull();
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(JSON.stringify(body.errors)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);

    // Partial answers are still served: the gateway stays in rotation and says what is missing.
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    const readiness = await ready.json();
    expect(readiness.status).toBe('degraded');
    expect(readiness.subgraphs['social-assistance']).toBe('down');
  });

  it('serves the others when a registry is down, opens its circuit, and says so in /readyz', async () => {
    // The mock registries stop answering: every registry fails; its subgraph reports it.
    const mocks = stack.mocks!;
    await mocks.close();
    for (let i = 0; i < 6; i++) {
      const { body } = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { avs unemployment { office } } }`, { avs: PAINTER }, headers());
      expect(body.data.person.avs).toBe(PAINTER);
      expect(body.data.person.unemployment).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('REGISTRY_UNAVAILABLE');
    }
    const ready = await (await fetch(`${stack.gatewayUrl}/readyz`)).json();
    expect(ready.registries.unemployment).toBe('open');
    expect(ready.status).not.toBe('ready');
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, fails fast while open, lets one probe through after the cooldown', async () => {
    let now = 0;
    const breaker = new CircuitBreaker('x', { failureThreshold: 2, cooldownMs: 1000, now: () => now });
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('down'));
    };
    await expect(breaker.run(failing)).rejects.toThrow('down');
    await expect(breaker.run(failing)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    await expect(breaker.run(failing)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(2);
    now = 1000;
    expect(breaker.state).toBe('half-open');
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});

describe('retry', () => {
  it('retries a transient failure once within the budget, never a non-transient one', async () => {
    let n = 0;
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    await expect(withRetry(async () => (n++ === 0 ? Promise.reject(refused) : 'ok'), { budgetMs: 1000, retryable: isTransientFailure })).resolves.toBe('ok');
    expect(n).toBe(2);
    let m = 0;
    await expect(withRetry(async () => { m++; throw new Error('bad answer'); }, { budgetMs: 1000, retryable: isTransientFailure })).rejects.toThrow('bad answer');
    expect(m).toBe(1);
  });
});
