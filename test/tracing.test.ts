// Opt-in OpenTelemetry tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, one request is one
// trace, from the gateway's span to the subgraphs' spans, exported over OTLP/HTTP.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../lib/observability/tracing.ts';
import { waitFor } from './support/ports.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
const spans: OtlpSpan[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
    for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let stack: TestStack;
beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  expect(await startTracing('ciigraph-test')).toBe(true);
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
  receiver.close();
});

describe('tracing', () => {
  it('exports one trace per request, the subgraph spans children of the gateway span', async () => {
    const { body } = await gql(stack.gatewayUrl, `{ person(avs: "756.1234.5678.97") { unemployment { office } disability { status } } }`, {}, stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' }));
    expect(body.errors).toBeUndefined();
    const gateway = await waitFor(async () => spans.find((s) => s.name === 'gateway request'), 10_000, 'the gateway span');
    const unemployment = await waitFor(async () => spans.find((s) => s.name === 'unemployment request' && s.traceId === gateway.traceId), 10_000, 'the subgraph span');
    expect(unemployment.parentSpanId).toBe(gateway.spanId);
    expect(spans.some((s) => s.name === 'disability request' && s.traceId === gateway.traceId)).toBe(true);
    expect(JSON.stringify(spans)).not.toContain('756.1234.5678.97');
  });
});
