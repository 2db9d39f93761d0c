// The gateway's consent-form routes (CONTRACT.md section 7):
//   POST /consent-forms          staff who may record consents store a signed form: { sha256 }
//   GET  /consent-forms/<sha256> the DPO and the person read a form; each reading is decided
//                                under `consent.forms` and journaled before a byte is sent.
// A form is readable once a consent names it (it then belongs to that consent's person).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decide } from '../access/decide.ts';
import { explainDenial } from '../access/explain.ts';
import type { Policy } from '../access/policy.ts';
import type { Requester } from '../access/requester.ts';
import type { Journal } from '../audit/journal.ts';
import { systemClock, type Clock } from '../clock.ts';
import { errorFields, log } from '../log.ts';
import { FormRejected, MAX_FORM_BYTES, SHA256, type ConsentFormStore } from './store.ts';

/** The category reading a consent form is decided and journaled under. */
export const CONSENT_FORMS_CATEGORY = 'consent.forms';

/** What the gateway verified about the request. */
export interface VerifiedRequest {
  requestId: string;
  requester: Requester;
  purpose?: string | undefined;
  caseReference?: string | undefined;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
  res.writeHead(status, { ...HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class TooLarge extends Error {}

function readForm(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) return reject(new TooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface ConsentFormRouteOptions {
  forms: ConsentFormStore;
  policy: Policy;
  /** Where readings are journaled; without it, no form is read (AUDIT_UNAVAILABLE). */
  journal: Journal | undefined;
  /** The gateway's authentication (no or bad token: an error marked 401). */
  authenticate: (req: IncomingMessage) => Promise<VerifiedRequest>;
  clock?: Clock;
}

/** The handler of /consent-forms and everything under it. */
export function createConsentFormRoutes(opts: ConsentFormRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const clock = opts.clock ?? systemClock;
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let ctx: VerifiedRequest;
    try {
      ctx = await opts.authenticate(req);
    } catch (e) {
      const ext = (e as { extensions?: { code?: unknown; http?: { status?: unknown } } }).extensions;
      const status = typeof ext?.http?.status === 'number' ? ext.http.status : undefined;
      if (status === undefined || typeof ext?.code !== 'string') throw e;
      if (status === 401) res.setHeader('www-authenticate', 'Bearer');
      if (req.method === 'POST') req.resume();
      return sendError(res, status, ext.code, (e as Error).message);
    }
    res.setHeader('x-request-id', ctx.requestId);
    if (req.method === 'POST' && path === '/consent-forms') return store(req, res, ctx);
    const sha = path.match(/^\/consent-forms\/([^/]+)$/)?.[1];
    if (req.method === 'GET' && sha !== undefined) return read(res, ctx, sha.toLowerCase());
    if (req.method === 'POST') req.resume();
    return sendError(res, 404, 'NOT_FOUND', 'POST /consent-forms stores a form; GET /consent-forms/<sha256> reads one.');
  };

  async function store(req: IncomingMessage, res: ServerResponse, ctx: VerifiedRequest) {
    const { requester } = ctx;
    if (!opts.policy.permits(requester.role, 'consent.record') || !opts.policy.roleExistsAt(requester.institution, requester.role)) {
      req.resume();
      return sendError(res, 403, 'FORBIDDEN', 'Only staff who may record consents (permission consent.record) may store a consent form.', { reason: 'NO_RULE' });
    }
    let bytes: Buffer;
    try {
      bytes = await readForm(req);
    } catch (e) {
      if (e instanceof TooLarge) {
        res.setHeader('connection', 'close');
        return sendError(res, 413, 'BAD_USER_INPUT', `A consent form is at most ${MAX_FORM_BYTES} bytes.`, { field: 'form' });
      }
      throw e;
    }
    try {
      const form = await opts.forms.put(bytes);
      const text = JSON.stringify({ sha256: form.sha256, contentType: form.contentType, bytes: bytes.length });
      res.writeHead(201, { ...HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch (e) {
      if (e instanceof FormRejected) return sendError(res, 400, 'BAD_USER_INPUT', e.message, { field: 'form' });
      log.error({ service: 'gateway', route: 'consent-forms', ...errorFields(e) }, 'consent form store unavailable');
      return sendError(res, 503, 'CONSENT_STORE_UNAVAILABLE', 'The consent form store cannot be written.');
    }
  }

  async function read(res: ServerResponse, ctx: VerifiedRequest, sha: string) {
    const notFound = () => sendError(res, 404, 'NOT_FOUND', 'No consent names a stored form with this SHA-256.');
    if (!SHA256.test(sha)) return notFound();
    let form;
    try {
      form = await opts.forms.get(sha);
    } catch (e) {
      log.error({ service: 'gateway', route: 'consent-forms', ...errorFields(e) }, 'consent form store unavailable');
      return sendError(res, 503, 'CONSENT_STORE_UNAVAILABLE', 'The consent form store cannot be read.');
    }
    // A form no consent names yet belongs to nobody: nothing to supervise, nothing to read.
    if (!form || form.avs === null) return notFound();
    const at = clock.now().toISOString();
    const request = { purpose: ctx.purpose, caseReference: ctx.caseReference };
    const [decision] = decide([{ avs: form.avs, category: CONSENT_FORMS_CATEGORY }], { policy: opts.policy, requester: ctx.requester, request, at, factsOf: () => undefined });
    const header = {
      at,
      requester: ctx.requester,
      purpose: ctx.purpose ?? null,
      caseReference: ctx.caseReference ?? null,
      subgraph: 'gateway',
      requestId: ctx.requestId,
      policy: `${opts.policy.name} ${opts.policy.version}`,
    };
    try {
      if (!opts.journal) throw new Error('this gateway has no access log');
      await opts.journal.decisions(header, [decision!]);
    } catch (e) {
      log.error({ service: 'gateway', route: 'consent-forms', ...errorFields(e) }, 'access log cannot be written');
      return sendError(res, 503, 'AUDIT_UNAVAILABLE', 'The access log cannot be written; no data is released.');
    }
    if (!decision!.allowed) {
      // The person asking for someone else's form learns no more than from a form that does not exist.
      if (decision!.reason === 'CONDITION_UNMET') return notFound();
      return sendError(res, 403, 'FORBIDDEN', explainDenial(decision!, opts.policy, ctx.requester, request), { category: CONSENT_FORMS_CATEGORY, reason: decision!.reason });
    }
    res.writeHead(200, {
      ...HEADERS,
      'content-type': form.contentType,
      'content-length': form.bytes.length,
      'content-disposition': `inline; filename="consent-form-${sha}.${form.contentType === 'application/pdf' ? 'pdf' : form.contentType === 'image/png' ? 'png' : 'jpg'}"`,
      'content-security-policy': "default-src 'none'; sandbox",
    });
    res.end(form.bytes);
  }
}
