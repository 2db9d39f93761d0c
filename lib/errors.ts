// The one catalogue of error codes the product emits (modelled on fastify's lib/errors.js).
// Every error a client, an operator or a DPO can see is created here, so a code has one
// meaning and one message shape everywhere.
import { GraphQLError, type ASTNode, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Denied } from './access/decision.ts';
import { HeaderMap } from '@apollo/server';
import { errorFields, log } from './log.ts';

export const ErrorCode = {
  /** Input failed validation at the edge (AVS, consent input, purpose); no registry was called. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** No token, or a token that does not verify. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The active policy does not release this category to this requester (extensions.reason says why), or the role may not act. */
  FORBIDDEN: 'FORBIDDEN',
  /** The access log could not be written, so no data is returned. */
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  /** The consent store could not be read, so nothing that depends on consent is released. */
  CONSENT_STORE_UNAVAILABLE: 'CONSENT_STORE_UNAVAILABLE',
  /** The case repertory could not be read (or written), so nothing that needs an open case is released. */
  CASE_REPERTORY_UNAVAILABLE: 'CASE_REPERTORY_UNAVAILABLE',
  /** An institution's registry did not answer, or answered with something that is not its contract. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** A subgraph did not answer the gateway in time (or its circuit is open): its part is missing. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  /** The calling client sent more requests than its rate limit allows (HTTP 429, Retry-After). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A browser request from an origin that is not on the gateway's CORS allowlist (HTTP 403). */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** Anything else: details stay in the server log, never in the response. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Where in the response a field's error belongs. An error made with it is final: graphql does
 * not wrap it in a second error (with a stack of its own) to locate it.
 */
export interface FieldLocation {
  nodes: readonly ASTNode[];
  path: readonly (string | number)[];
}

/**
 * The catalogue's errors are outcomes the product decided (a denial, bad input, a store down),
 * never faults: made without a stack trace, whose capture and source-mapped formatting cost
 * more than the decision itself (a caseload denies hundreds of fields; bench/README issue 24).
 */
function graphqlError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}, at?: FieldLocation): GraphQLError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GraphQLError(message, { extensions: { code, ...extra }, ...(at ? { nodes: at.nodes, path: at.path } : {}) });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export const errors = {
  badUserInput: (message: string, extra?: Record<string, unknown>) =>
    graphqlError(ErrorCode.BAD_USER_INPUT, message, extra),
  unauthenticated: (message = 'A valid bearer token is required.') =>
    graphqlError(ErrorCode.UNAUTHENTICATED, message),
  /** A denied field: the category, the reason (CONTRACT.md section 4) and, in words, what would release it. */
  denied: (d: Denied, explanation: string, at?: FieldLocation) =>
    graphqlError(ErrorCode.FORBIDDEN, explanation, { category: d.category, reason: d.reason, ...(d.condition ? { condition: d.condition.type } : {}) }, at),
  forbiddenAction: (message: string, extra?: Record<string, unknown>) => graphqlError(ErrorCode.FORBIDDEN, message, extra),
  auditUnavailable: () =>
    graphqlError(ErrorCode.AUDIT_UNAVAILABLE, 'The access log cannot be written; no data is released.'),
  consentStoreUnavailable: () =>
    graphqlError(ErrorCode.CONSENT_STORE_UNAVAILABLE, 'The consent registry cannot be read; no data is released.'),
  caseRepertoryUnavailable: () =>
    graphqlError(ErrorCode.CASE_REPERTORY_UNAVAILABLE, 'The case repertory cannot be read; nothing that needs an open case is released.'),
  subgraphUnavailable: (subgraph: string) =>
    graphqlError(ErrorCode.SUBGRAPH_UNAVAILABLE, `The ${subgraph} subgraph is unavailable; its part of the answer is missing.`, { subgraph }),
  registryUnavailable: (institution: string) =>
    graphqlError(ErrorCode.REGISTRY_UNAVAILABLE, `The ${institution} registry is unavailable.`, { institution }),
  rateLimited: (retryAfterS: number) =>
    graphqlError(ErrorCode.RATE_LIMITED, `Too many requests from this client; retry in ${retryAfterS} s.`, { retryAfter: retryAfterS }),
  originNotAllowed: (origin: string) =>
    graphqlError(ErrorCode.ORIGIN_NOT_ALLOWED, `Requests from the origin ${JSON.stringify(origin.slice(0, 200))} are not allowed.`),
};

/**
 * Errors raised at start-up (configuration, policy, catalogue). They stop the process with a
 * message that names the file and the fault; they are never sent to a client.
 */
export class StartupError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'StartupError';
  }
}

/** Marks an error raised before execution (context creation) with the HTTP status (and headers) Apollo answers with. */
export function withHttpStatus(e: GraphQLError, status: 400 | 401 | 403 | 429, headers?: Record<string, string>): GraphQLError {
  // Apollo reads a HeaderMap here; Hive's packages (npm run hive-gateway) declare the same
  // extension with plain records, and TypeScript merges both declarations.
  const http = { status, ...(headers ? { headers: new HeaderMap(Object.entries(headers)) } : {}) };
  e.extensions.http = http as unknown as NonNullable<GraphQLError['extensions']['http']>;
  return e;
}

/** Codes a client may see as they are: ours, and the ones Apollo and graphql-js raise for bad requests. */
const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The error without the stack and exception Apollo adds outside production. Copied only when
 * they are there: a caseload's response carries hundreds of denials, and V8 copies an object
 * spread before further properties slowly (bench/README, issue 24).
 */
function withoutDebugFields(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const all = formatted.extensions;
  if (!all || (all.stacktrace === undefined && all.exception === undefined)) return formatted;
  const { stacktrace: _s, exception: _e, ...extensions } = all;
  return { ...formatted, extensions };
}

/**
 * Apollo's formatError for every server: an error the product raised on purpose passes as it
 * is; anything else (a bug, a driver's message) is logged here and reaches the client as a
 * bare INTERNAL_SERVER_ERROR, never with its message, data or stack.
 */
export function maskUnexpectedErrors(service: string) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    const deliberate = original instanceof GraphQLError && typeof code === 'string' && PUBLIC_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR;
    // Errors relayed by the gateway from a subgraph were formatted there already.
    if (deliberate || (typeof code === 'string' && PUBLIC_CODES.has(code) && formatted.extensions?.serviceName)) return withoutDebugFields(formatted);
    log.error({ service, ...errorFields(original) }, 'unexpected error');
    return { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR }, ...(formatted.path ? { path: formatted.path } : {}) };
  };
}
