// The context of one gateway request: who asks, for what purpose, in which case.
import type { Requester } from '../lib/access/requester.ts';
import type { Context, Span } from '@opentelemetry/api';

export interface GatewayContext {
  requestId: string;
  requester: Requester;
  /** The identity provider that vouched for the requester. */
  issuer?: string;
  purpose: string | undefined;
  caseReference: string | undefined;
  /** Trace context of the incoming request (opt-in tracing). */
  traceParent?: Context;
  /** This request's span; subgraph calls carry it. */
  span?: Span;
  /** Calls the query plan makes to each subgraph (plan-fetches.ts), once the plan is known. */
  fetches?: ReadonlyMap<string, number>;
}
