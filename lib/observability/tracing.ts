// OpenTelemetry tracing, opt-in: with OTEL_EXPORTER_OTLP_ENDPOINT set (the standard
// variable), spans are exported over OTLP/HTTP; without it the API is a no-op and costs
// nothing. Spans carry service, subgraph, operation name and request id; never a person.
import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';

export const tracer = () => trace.getTracer('ciigraph');
let started = false;

/** `endpoint`: the configuration's (tracing.otlpEndpoint); the exporter reads the standard variable otherwise. */
export async function startTracing(serviceName: string, endpoint?: string): Promise<boolean> {
  if (started || !(endpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT)) return started;
  // Loaded only when asked for: the SDK is not on the default path.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(endpoint ? { url: `${endpoint.replace(/\/$/, '')}/v1/traces` } : undefined), { scheduledDelayMillis: 200 })],
  });
  provider.register();
  started = true;
  return true;
}

/** The trace context an incoming request carries (W3C traceparent), if any. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** Adds the span's context to outgoing headers. */
export function injectContext(span: Span | undefined, set: (key: string, value: string) => void): void {
  if (!span) return;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  for (const [k, v] of Object.entries(carrier)) set(k, v);
}
