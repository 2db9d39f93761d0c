// Starts a whole stack on free loopback ports for a test file, signs development tokens for
// it with its own secret, and a tiny GraphQL client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyPairPem } from '../../lib/audit/signing-keys.ts';
import { devSecret, issueDevToken, type DevTokenClaims } from '../../lib/auth/dev-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { startStack, type Stack, type StackOptions } from '../../bin/stack.ts';

export interface TestStack extends Stack {
  /** A valid development token for this stack. */
  token(claims: Omit<DevTokenClaims, 'sub'> & { sub?: string }, opts?: { ttlSeconds?: number }): string;
  /** Authorization (and purpose/case) headers for a requester. */
  as(requester: Requester): Record<string, string>;
}

export interface Requester {
  institution: string;
  role: string;
  purpose?: string;
  caseReference?: string;
  sub?: string;
}

export async function startTestStack(opts: Partial<StackOptions> & { env?: Record<string, string> } = {}): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-test-'));
  // The stack's own access log key, so a log kept in Redis can be verified after the stack is gone.
  const auditKey = join(dir, 'audit-signing-key.pem');
  writeFileSync(auditKey, newKeyPairPem().privateKey, { mode: 0o600 });
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DEV_TOKEN_SECRET_FILE: join(dir, 'dev-token-secret'),
    CONSENT_SIGNING_KEY_FILE: join(dir, 'consent-signing-key'),
    CONSENT_FORM_DIR: join(dir, 'consent-forms'),
    AUDIT_SIGNING_KEY_FILE: auditKey,
    ...opts.env,
  });
  const secretFile = config.auth.devSecretFile;
  const stack = await startStack({ config, ephemeralPorts: true, ...opts });
  const secret = devSecret(secretFile);
  const token: TestStack['token'] = (claims, o = {}) =>
    issueDevToken(secret, { sub: `test-${claims.role}`, ...claims }, {
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ttlSeconds: o.ttlSeconds ?? 600,
    });
  return {
    ...stack,
    token,
    as: (r) => ({
      authorization: `Bearer ${token({ institution: r.institution, role: r.role, ...(r.sub ? { sub: r.sub } : {}) })}`,
      ...(r.purpose ? { 'x-purpose': r.purpose } : {}),
      ...(r.caseReference ? { 'x-case-reference': r.caseReference } : {}),
    }),
  };
}

export interface GraphQLResponse<D = any> {
  status: number;
  body: { data?: D; errors?: Array<{ message: string; path?: (string | number)[]; extensions?: Record<string, any> }> };
  text: string;
}

export async function gql<D = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<D>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}
