// One Apollo Server plugin for the cross-cutting concerns of every request, gateway and
// subgraphs alike: a structured log line, metrics, and (opt-in) a trace span. Hooks into the
// server's lifecycle instead of being woven through the core.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { log } from '../log.ts';
import { errorsTotal, requestDuration, requestsTotal } from './metrics.ts';
import { tracer } from './tracing.ts';

export interface ObservedContext extends BaseContext {
  requestId?: string;
  requester?: { institution: string; role: string; client?: string | undefined } | undefined;
  access?: { requester: { institution: string; role: string; client?: string | undefined } };
  /** The incoming trace context (subgraphs: the gateway's span). */
  traceParent?: Context;
  /** This request's span, for outgoing calls to carry. */
  span?: Span;
}

export function observeRequests(service: string): ApolloServerPlugin<ObservedContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = process.hrtime.bigint();
      const endTimer = requestDuration.startTimer({ service });
      contextValue.span = tracer().startSpan(`${service} request`, { attributes: { 'ciigraph.service': service } }, contextValue.traceParent);
      return {
        async willSendResponse({ response, operationName, contextValue: ctx }) {
          endTimer();
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const codes = (result?.errors ?? []).map((e) => String(e.extensions?.code ?? 'UNKNOWN'));
          for (const code of codes) errorsTotal.inc({ service, code });
          const outcome = !codes.length ? 'ok' : result?.data ? 'partial' : 'refused';
          requestsTotal.inc({ service, outcome });
          const requester = ctx.requester ?? ctx.access?.requester;
          const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
          log.info(
            {
              service,
              requestId: ctx.requestId,
              institution: requester?.institution,
              role: requester?.role,
              // The calling application (the token's azp / client_id), gateway and subgraphs alike.
              client: requester?.client,
              operation: operationName ?? request.operationName ?? undefined,
              status: response.http.status ?? 200,
              outcome,
              errors: codes.length ? codes : undefined,
              durationMs: Math.round(durationMs * 10) / 10,
            },
            'graphql request',
          );
          const span = ctx.span;
          if (span) {
            span.setAttributes({ 'ciigraph.request_id': ctx.requestId ?? '', 'ciigraph.outcome': outcome, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
            if (outcome === 'refused') span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
          }
        },
      };
    },
  };
}

export const activeSpan = () => trace.getActiveSpan();
