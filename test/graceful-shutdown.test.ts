// Stopping the stack drains it: requests in flight when the stop begins are answered in
// full, new connections are refused, and the stop completes.
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/ports.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack | undefined;
afterAll(async () => stack?.close().catch(() => {}));

describe('graceful shutdown', () => {
  it('answers the requests in flight, then stops', async () => {
    // Slow registries keep requests in flight while the stop begins.
    stack = await startTestStack({ mockLatencyMs: 400 });
    const headers = stack.as({ institution: 'AC', role: 'counsellor', purpose: 'cii' });
    const inFlight = Array.from({ length: 8 }, () =>
      gql(stack!.gatewayUrl, `query { person(avs: "756.9876.5432.17") { unemployment { office } } }`, {}, headers),
    );
    // Wait until the gateway is answering all eight: they are in flight, not queued in the client.
    const gateway = stack.services.find((s) => s.name === 'gateway')!;
    await waitFor(async () => (gateway.inFlight!() === 8 ? true : undefined), 5000, 'eight requests in flight');
    const gatewayUrl = stack.gatewayUrl;
    const stopped = stack.close();
    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.data.person.unemployment.office).toBe('ORP Lausanne');
    }
    await stopped;
    stack = undefined;
    await expect(fetch(`${gatewayUrl}/healthz`)).rejects.toThrow();
  });
});
