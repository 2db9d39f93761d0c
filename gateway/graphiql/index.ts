// A GraphQL IDE for development that works offline: GraphiQL and React from their npm
// bundles, served by this handler from node_modules (no CDN, no internet; the Apollo Sandbox
// landing page needs both), with a requester picker that fills the Authorization,
// X-Purpose and X-Case-Reference headers. Tokens come from POST <base>/token, which exists
// only when a token issuer is given (development): the gateway mounts none of this in
// production. Against DNS rebinding (a site whose name comes to point at 127.0.0.1 reading
// the IDE as its own origin), the page and its token endpoint answer only requests whose Host
// is one of the configured loopback names, the endpoint only same-origin requests from such a
// name, each carrying a one-time secret that only the page served to that origin knows.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Policy } from '../../lib/access/policy.ts';
import { CaseReference } from '../../lib/access/requester.ts';
import { devSecret, issueDevToken } from '../../lib/auth/dev-issuer.ts';
import type { Config } from '../../lib/config.ts';
import { Institution, INSTITUTIONS } from '../../lib/schema/catalogue.ts';

/** Who a development token is for; purpose and case reference travel as headers instead. */
export interface GraphiqlTokenClaims {
  institution: Institution;
  role: string;
  sub: string;
}
export type TokenIssuer = (claims: GraphiqlTokenClaims) => string | undefined;

export interface GraphiqlRequester {
  institution: Institution;
  role: string;
  purpose?: string;
  caseReference?: string;
}

export interface GraphiqlRouteOptions {
  policy: Policy;
  /** Development only: signs a token for the picked requester. Without it, no token endpoint. */
  tokenIssuer?: TokenIssuer | undefined;
  /** Where the page lives; its assets and token endpoint live under it. Default /graphiql. */
  basePath?: string;
  /** The same-origin GraphQL endpoint the page posts to. Default /graphql. */
  graphqlPath?: string;
  /** The requester picked when the page opens. Default: the AI case manager of the painter's AI case. */
  defaultRequester?: GraphiqlRequester;
  /** The query in the editor on a first visit. Default: the painter. */
  defaultQuery?: string;
  /** The Host names (and Origin hosts) the page and its token endpoint answer to. Default: localhost, 127.0.0.1, [::1]. */
  loopbackNames?: readonly string[];
  /** `npm run dev`: what the page shows above the editor about the developer's last change (GET <base>/dev-status). */
  devStatus?: () => DevStatus;
}

/** The state of `npm run dev`'s last change, as the page shows it. */
export interface DevStatus {
  /** served: the change is live; warning: live, with breaking or category changes; failed: not served (the previous version is). */
  state: 'starting' | 'served' | 'warning' | 'failed';
  /** One line for the banner. */
  summary: string;
  /** The report: composition errors, breaking changes, category changes for the DPO. */
  details: string[];
  at: string;
}

export type GraphiqlRoute = ((req: IncomingMessage, res: ServerResponse) => Promise<void>) & {
  readonly basePath: string;
  /** Whether a request path is this route's (the page, its assets, its token endpoint). */
  handles(pathname: string): boolean;
};

export const PAINTER_QUERY = `# The painter (CONTRACT.md section 5), seen by his AI case
# manager in his AI case: the ORP registration and the AI file
# are released by law; his entitlement and social-assistance
# benefits need his consent, so they come back null with a
# FORBIDDEN error naming the category. Pick another requester
# above, then run it again.
query Painter {
  person(avs: "756.1234.5678.97") {
    avs
    unemployment {
      registeredSince
      office
      entitlement { remainingDays exhaustionDate }
    }
    disability {
      filedOn
      status
      measures { kind title from to }
      workCapacity { adaptedActivityPercent }
    }
    socialAssistance {
      openedOn
      center
      benefits { monthlyAmount }
    }
    supplementaryBenefits { entitledSince }
  }
}
`;

const DEFAULT_REQUESTER: GraphiqlRequester = { institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815' };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const DEFAULT_LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const SECRET_HEADER = 'x-ciigraph-ide-secret';
/** A one-time secret lives this long unused, and at most this many wait at once (each page load makes one). */
const SECRET_TTL_MS = 3_600_000;
const MAX_SECRETS = 1000;

/** The host name of a Host header or an origin (IPv6 in brackets), lower case; undefined if it is none. */
function hostnameOf(hostOrOrigin: string | undefined, isOrigin: boolean): string | undefined {
  if (!hostOrOrigin) return undefined;
  try {
    return new URL(isOrigin ? hostOrOrigin : `http://${hostOrOrigin}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** One-time secrets handed out with the page and with each token: each opens the token endpoint once. */
class OneTimeSecrets {
  private readonly live = new Map<string, number>();

  issue(): string {
    const now = Date.now();
    for (const [s, until] of this.live) if (until <= now || this.live.size >= MAX_SECRETS) this.live.delete(s);
    const secret = randomBytes(24).toString('base64url');
    this.live.set(secret, now + SECRET_TTL_MS);
    return secret;
  }

  /** True once for a secret that was issued and has not expired; it is gone afterwards. */
  redeem(secret: string | undefined): boolean {
    if (secret === undefined) return false;
    const until = this.live.get(secret);
    this.live.delete(secret);
    return until !== undefined && until > Date.now();
  }
}

/**
 * The development issuer of the configured dev secret, or undefined where it must not be
 * offered: in production or with an identity provider's key (the gateway refuses HS256
 * tokens there), and when the services listen beyond loopback (anyone who reaches the port
 * could mint any role's token).
 */
export function devTokenIssuer(config: Config, opts: { ttlSeconds?: number } = {}): TokenIssuer | undefined {
  if (config.env === 'production' || config.auth.issuers.length || !LOOPBACK.has(config.host)) return undefined;
  const secret = devSecret(config.auth.devSecretFile);
  return (claims) => issueDevToken(secret, claims, { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: opts.ttlSeconds ?? 3600 });
}

// ---------------------------------------------------------------- assets

interface Asset {
  /** Path under <base>/assets/. */
  path: string;
  file: string;
  contentType: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
const contentType = (file: string) => CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';

/** A package's file: its URL names the installed version, so it can be cached for good. */
function vendor(pkg: string, file: string): Asset {
  // Resolved through package.json: react's `exports` do not list its UMD files.
  const root = dirname(require.resolve(`${pkg}/package.json`));
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const abs = join(root, file);
  return { path: `${pkg}@${version}/${basename(file)}`, file: abs, contentType: contentType(file), etag: `"${pkg}@${version}-${statSync(abs).size}"` };
}

/** This page's own file: its URL names a hash of its content. */
function own(file: string): Asset {
  const abs = join(HERE, 'assets', file);
  const hash = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12);
  return { path: `ide-${hash}/${file}`, file: abs, contentType: contentType(file), etag: `"${hash}"` };
}

function loadAssets() {
  return {
    react: vendor('react', 'umd/react.production.min.js'),
    reactDom: vendor('react-dom', 'umd/react-dom.production.min.js'),
    graphiqlJs: vendor('graphiql', 'graphiql.min.js'),
    graphiqlMap: vendor('graphiql', 'graphiql.min.js.map'),
    graphiqlCss: vendor('graphiql', 'graphiql.min.css'),
    pageJs: own('page.js'),
    pageCss: own('page.css'),
    devStatusJs: own('dev-status.js'),
  };
}

// ---------------------------------------------------------------- the page

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
// Everything from this origin, nothing else: the page must work with the network cable out.
// Inline styles only because GraphiQL's components set some.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECRET_SLOT = '@@ide-secret@@';
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script type="application/json">: no "</script>" or comment opener can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

function renderPage(opts: Required<Pick<GraphiqlRouteOptions, 'policy' | 'basePath' | 'graphqlPath' | 'defaultRequester' | 'defaultQuery'>> & { tokenUrl: string | null; devStatusUrl: string | null; assets: ReturnType<typeof loadAssets> }): string {
  const { policy, basePath, assets, defaultRequester: d } = opts;
  const url = (a: Asset) => `${basePath}/assets/${a.path}`;
  const roles = [...policy.roles.values()];
  const institutions = INSTITUTIONS.filter((i) => roles.some((r) => r.institutions.includes(i)));
  const option = (value: string, label: string, selected: boolean, extra = '') =>
    `<option value="${escapeHtml(value)}"${selected ? ' selected' : ''}${extra}>${escapeHtml(label)}</option>`;
  const config = {
    graphqlUrl: opts.graphqlPath,
    tokenUrl: opts.tokenUrl,
    defaultQuery: opts.defaultQuery,
    devStatusUrl: opts.devStatusUrl,
    // Replaced per page load by a one-time secret (SECRET_SLOT); null without a token endpoint.
    secret: opts.tokenUrl ? SECRET_SLOT : null,
  };
  const issuing = opts.tokenUrl !== null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ciigraph GraphiQL (development)</title>
<link rel="stylesheet" href="${url(assets.graphiqlCss)}">
<link rel="stylesheet" href="${url(assets.pageCss)}">
<script type="application/json" id="ide-config">${scriptJson(config)}</script>
<script src="${url(assets.react)}" defer></script>
<script src="${url(assets.reactDom)}" defer></script>
<script src="${url(assets.graphiqlJs)}" defer></script>
<script src="${url(assets.pageJs)}" defer></script>
${opts.devStatusUrl ? `<script src="${url(assets.devStatusJs)}" defer></script>\n` : ''}</head>
<body>
<form id="requester" autocomplete="off">
  <strong class="brand">ciigraph</strong>
  <label>Institution <select name="institution"${issuing ? '' : ' disabled'}>${institutions.map((i) => option(i, i, i === d.institution)).join('')}</select></label>
  <label>Role <select name="role"${issuing ? '' : ' disabled'}>${roles
    .map((r) => option(r.id, r.id, r.id === d.role, ` data-institutions="${escapeHtml(r.institutions.join(' '))}" title="${escapeHtml(r.description)}"`))
    .join('')}</select></label>
  <label>Purpose <select name="purpose">${option('', '(none)', !d.purpose)}${[...policy.purposes.entries()]
    .map(([code, description]) => option(code, code, code === d.purpose, ` title="${escapeHtml(description)}"`))
    .join('')}</select></label>
  <label>Case reference <input name="caseReference" maxlength="100" size="18" value="${escapeHtml(d.caseReference ?? '')}" placeholder="optional"></label>
  <label>Subject <input name="sub" maxlength="200" size="16" placeholder="optional"${issuing ? '' : ' disabled'}></label>
  <button type="submit">Use this requester</button>
  <output id="requester-status" aria-live="polite">${issuing ? 'Getting a development token…' : 'No token issuer here: paste a token into the Authorization header below.'}</output>
</form>
${opts.devStatusUrl ? '<section id="dev-status" data-state="starting" aria-live="polite"><strong>npm run dev</strong> <span class="summary">waiting for the first check…</span><pre class="details"></pre></section>\n' : ''}<main id="graphiql"><p class="loading">Loading GraphiQL…</p></main>
</body>
</html>
`;
}

// ---------------------------------------------------------------- the handler

const TokenRequest = z.strictObject({
  institution: Institution,
  role: z.string().min(1).max(64),
  sub: z.string().trim().min(1).max(200).optional(),
  // Accepted so the page can send its whole form; they travel as headers, not in the token.
  purpose: z.string().optional(),
  caseReference: z.string().optional(),
});
const MAX_TOKEN_BODY = 4096;

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...extra });
  res.end(text);
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createGraphiqlRoute(opts: GraphiqlRouteOptions): GraphiqlRoute {
  const basePath = (opts.basePath ?? '/graphiql').replace(/\/$/, '');
  const { policy, tokenIssuer } = opts;
  const assets = loadAssets();
  const byPath = new Map(Object.values(assets).map((a) => [`${basePath}/assets/${a.path}`, a]));
  const tokenPath = `${basePath}/token`;
  const devStatusPath = `${basePath}/dev-status`;
  const page = Buffer.from(
    renderPage({
      policy,
      basePath,
      graphqlPath: opts.graphqlPath ?? '/graphql',
      defaultRequester: opts.defaultRequester ?? DEFAULT_REQUESTER,
      defaultQuery: opts.defaultQuery ?? PAINTER_QUERY,
      tokenUrl: tokenIssuer ? tokenPath : null,
      devStatusUrl: opts.devStatus ? devStatusPath : null,
      assets,
    }),
  );
  const pagePaths = new Set(['/', basePath, `${basePath}/`]);
  const loopbackNames = new Set((opts.loopbackNames ?? DEFAULT_LOOPBACK_NAMES).map((n) => n.toLowerCase()));
  const secrets = new OneTimeSecrets();
  const [pageHead, pageTail] = page.toString('utf8').split(SECRET_SLOT) as [string, string?];

  const handles = (pathname: string) => pagePaths.has(pathname) || pathname.startsWith(`${basePath}/`);
  /** Asked for by one of the loopback names (not by a rebound DNS name that resolves to loopback). */
  const loopbackHost = (req: IncomingMessage) => loopbackNames.has(hostnameOf(req.headers.host, false) ?? '');

  const servePage = (req: IncomingMessage, res: ServerResponse) => {
    if (tokenIssuer && !loopbackHost(req)) return sendJson(res, 403, { error: 'the development IDE answers its loopback names only' });
    const body = pageTail === undefined ? page : Buffer.from(`${pageHead}${secrets.issue()}${pageTail}`);
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(body.length),
      'cache-control': 'no-store',
      'content-security-policy': CSP,
      'x-frame-options': 'DENY',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const serveAsset = (req: IncomingMessage, res: ServerResponse, asset: Asset) => {
    const headers = { ...COMMON_HEADERS, etag: asset.etag, 'cache-control': 'public, max-age=31536000, immutable' };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    let size: number;
    try {
      size = statSync(asset.file).size;
    } catch {
      sendJson(res, 404, { error: 'asset not installed' });
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': asset.contentType, 'content-length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(asset.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const serveToken = async (req: IncomingMessage, res: ServerResponse, issue: TokenIssuer) => {
    // JSON only: a cross-site form cannot send it without a CORS preflight, which nothing here answers.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { error: 'send application/json' });
    // The page's own origin, under a loopback name (a browser always sends Origin with a POST).
    const origin = req.headers.origin;
    const sameLoopbackOrigin =
      loopbackHost(req) && origin !== undefined && URL.canParse(origin) && new URL(origin).host === req.headers.host && loopbackNames.has(hostnameOf(origin, true) ?? '');
    if (!sameLoopbackOrigin) return sendJson(res, 403, { error: 'token requests are accepted from the IDE page on a loopback name only' });
    const secret = req.headers[SECRET_HEADER];
    if (!secrets.redeem(typeof secret === 'string' ? secret : undefined)) return sendJson(res, 403, { error: "the request does not carry the page's one-time secret: reload the page" });
    // The next request's secret, whatever this one's outcome.
    const next = secrets.issue();
    const refuse = (status: number, error: string) => sendJson(res, status, { error, secret: next });
    const text = await readSmallBody(req, MAX_TOKEN_BODY);
    if (text === undefined) return refuse(413, `at most ${MAX_TOKEN_BODY} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return refuse(400, 'the body is not JSON');
    }
    const parsed = TokenRequest.safeParse(json);
    if (!parsed.success) return refuse(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { institution, role, sub, purpose, caseReference } = parsed.data;
    if (!policy.roleExistsAt(institution, role)) return refuse(400, `the role "${role}" does not exist at ${institution} in the active policy`);
    // Checked here too, so a bad pick is named next to the picker, not as a gateway 400 later.
    if (purpose && !policy.purposes.has(purpose)) return refuse(400, `unknown purpose "${purpose}"`);
    if (caseReference && !CaseReference.safeParse(caseReference).success) return refuse(400, 'a case reference is letters, digits and . _ / : # - (at most 100)');
    const token = issue({ institution, role, sub: sub ?? `dev-${role}-${institution.toLowerCase()}` });
    if (!token) return refuse(403, 'no token issued');
    sendJson(res, 200, { token, secret: next });
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (pathname === tokenPath && tokenIssuer) {
      if (method !== 'POST') return sendJson(res, 405, { error: 'POST only' }, { allow: 'POST' });
      return serveToken(req, res, tokenIssuer);
    }
    if (pathname === devStatusPath && opts.devStatus) return sendJson(res, 200, opts.devStatus());
    const asset = pagePaths.has(pathname) ? 'page' : byPath.get(pathname);
    if (!asset) return sendJson(res, 404, { error: `no route ${method} ${pathname}` });
    if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'GET only' }, { allow: 'GET, HEAD' });
    if (asset === 'page') servePage(req, res);
    else serveAsset(req, res, asset);
  };
  return Object.assign(route, { basePath, handles });
}
