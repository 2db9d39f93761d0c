// Turns an HTTP request into a verified GatewayContext, or refuses it: no or bad token is
// 401 UNAUTHENTICATED; an unknown purpose or a malformed case reference is 400
// BAD_USER_INPUT. Nothing reaches a subgraph before this passed.
// The purpose and case reference (LPGA art. 32: a reasoned request in an individual case)
// come from the X-Purpose and X-Case-Reference headers, else from the token's claims.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Policy } from '../lib/access/policy.ts';
import { CaseReference } from '../lib/access/requester.ts';
import { TokenRejected, type UserTokenVerifier } from '../lib/auth/user-token.ts';
import { errors, withHttpStatus } from '../lib/errors.ts';
import type { GatewayContext } from './context.ts';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

export async function authenticate(req: IncomingMessage, verifier: UserTokenVerifier, policy: Policy): Promise<GatewayContext> {
  const authorization = header(req, 'authorization');
  const match = authorization?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw withHttpStatus(errors.unauthenticated('A bearer token is required (Authorization: Bearer <token>).'), 401);
  let verified;
  try {
    verified = await verifier.verify(match[1]!);
  } catch (e) {
    if (e instanceof TokenRejected) throw withHttpStatus(errors.unauthenticated(e.message), 401);
    throw e;
  }
  const purpose = header(req, 'x-purpose') ?? verified.purpose;
  if (purpose !== undefined && !policy.purposes.has(purpose)) {
    throw withHttpStatus(
      errors.badUserInput(`Unknown purpose "${purpose}"; the active policy knows: ${[...policy.purposes.keys()].join(', ')}.`, { field: 'purpose' }),
      400,
    );
  }
  const caseReference = header(req, 'x-case-reference') ?? verified.caseReference;
  if (caseReference !== undefined) {
    const r = CaseReference.safeParse(caseReference);
    if (!r.success) throw withHttpStatus(errors.badUserInput(`Invalid case reference: ${r.error.issues[0]?.message}.`, { field: 'caseReference' }), 400);
  }
  return {
    // Always the gateway's own: subgraphs group a request's decisions under it.
    requestId: randomUUID(),
    requester: verified.requester,
    issuer: verified.issuer,
    purpose,
    caseReference,
  };
}
