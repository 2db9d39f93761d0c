// The gateway's read-only pages for the data-protection officer: /policy (the policy review)
// and /policy/access-log (one person's access log, HTML or CSV). The gateway authenticates
// the request and lets only the dpo role through before calling these; the access-log route
// still decides `audit.accessLog` under the active policy and journals the reading, like
// the GraphQL accessLog field does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decide } from '../access/decide.ts';
import { explainDenial } from '../access/explain.ts';
import type { Policy } from '../access/policy.ts';
import { CaseReference, type Requester } from '../access/requester.ts';
import type { Journal } from '../audit/journal.ts';
import type { AccessLogEntry, AuditLog } from '../audit/log.ts';
import { parseAvs } from '../avs.ts';
import { addDays, isoDate, systemClock, type Clock } from '../clock.ts';
import { errorFields, log } from '../log.ts';
import type { CategoryCatalogue } from '../schema/catalogue.ts';
import { renderAccessLogCsv, renderAccessLogHtml } from './access-log-view.ts';
import type { ConsentStore } from '../consents/store.ts';
import { fishingSignalsFound } from '../observability/metrics.ts';
import { readFishingSignals, type FishingReport } from '../supervision/fishing.ts';
import { renderPolicyHtml } from './html.ts';
import { renderSignalsHtml, signalsJson } from './signals-view.ts';
import { buildPolicyReview } from './model.ts';

/** What the gateway verified about the request (its GatewayContext). */
export interface DpoRequest {
  requestId: string;
  requester: Requester;
  purpose?: string | undefined;
  caseReference?: string | undefined;
}

export type DpoRouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: DpoRequest) => void | Promise<void>;

/**
 * For the gateway's wiring: a GET route that runs `handler` only for a verified dpo.
 * `authenticate` is the gateway's own (gateway/authenticate.ts): no or bad token is 401,
 * a bad purpose or case reference 400 (the status it marks on its error); any other role
 * is 403. Nothing about the policy or the log is revealed before that.
 */
export function dpoOnly(authenticate: (req: IncomingMessage) => Promise<DpoRequest>, handler: DpoRouteHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let ctx: DpoRequest;
    try {
      ctx = await authenticate(req);
    } catch (e) {
      const ext = (e as { extensions?: { code?: unknown; http?: { status?: unknown } } }).extensions;
      const status = typeof ext?.http?.status === 'number' ? ext.http.status : undefined;
      if (status === undefined || typeof ext?.code !== 'string') throw e;
      if (status === 401) res.setHeader('www-authenticate', 'Bearer');
      return sendError(res, status, ext.code, (e as Error).message);
    }
    res.setHeader('x-request-id', ctx.requestId);
    if (ctx.requester.role !== 'dpo') {
      return sendError(res, 403, 'FORBIDDEN', 'Only a data-protection officer (role dpo) may read this page.');
    }
    await handler(req, res, ctx);
  };
}

/** The category under which reading a person's access log is decided and journaled. */
export const ACCESS_LOG_CATEGORY = 'audit.accessLog';

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * GET /policy: the policy review page of the active policy, rendered once (the policy is read
 * at start and never changes in a running process) and served as is.
 */
export function createPolicyPageRoute(policy: Policy, catalogue: CategoryCatalogue, supergraphSdl: string, opts: { generatedAt?: Date } = {}): DpoRouteHandler {
  const page = renderPolicyHtml(buildPolicyReview(policy, catalogue, supergraphSdl), { generatedAt: opts.generatedAt ?? new Date() });
  const body = Buffer.from(page.html, 'utf8');
  const headers = {
    ...COMMON_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'content-security-policy': page.contentSecurityPolicy,
  };
  return (_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  };
}

export interface AccessLogRouteOptions {
  policy: Policy;
  /** Journals the reading, and reads the log it appends to. */
  journal: Journal;
  clock?: Clock;
  /** Entries read per query (the AuditLog's maximum page). */
  pageSize?: number;
  /** At most this many entries are read, newest first; older ones are left out and the page says so. */
  maxEntries?: number;
  /** Where the subgraph column of the journal says the decision was taken. */
  decidedBy?: string;
}

/**
 * GET /policy/access-log?avs=756...&format=html|csv|json[&caseReference=...]: one person's
 * access log, oldest first, read through the AuditLog interface (in memory in the embedded
 * stack, Redis in a split deployment). 400 for a bad AVS, format or case reference; the
 * reading is decided under `audit.accessLog` and journaled before anything is read.
 */
export function createAccessLogRoute(opts: AccessLogRouteOptions): DpoRouteHandler {
  const clock = opts.clock ?? systemClock;
  const pageSize = opts.pageSize ?? 1000;
  const maxEntries = opts.maxEntries ?? 100_000;
  return async (req, res, ctx) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawAvs = url.searchParams.get('avs');
    if (!rawAvs) return sendError(res, 400, 'BAD_USER_INPUT', 'The query parameter avs is required (756.XXXX.XXXX.XC).', { field: 'avs' });
    const parsed = parseAvs(rawAvs);
    if (!parsed.ok) return sendError(res, 400, 'BAD_USER_INPUT', `Invalid AVS number: ${parsed.message}`, { field: 'avs' });
    const avs: string = parsed.avs;
    const format = url.searchParams.get('format') ?? 'html';
    if (format !== 'html' && format !== 'csv' && format !== 'json') {
      return sendError(res, 400, 'BAD_USER_INPUT', 'format is html, csv or json.', { field: 'format' });
    }
    const rawCase = url.searchParams.get('caseReference') ?? undefined;
    if (rawCase !== undefined) {
      const r = CaseReference.safeParse(rawCase);
      if (!r.success) return sendError(res, 400, 'BAD_USER_INPUT', `Invalid case reference: ${r.error.issues[0]?.message}.`, { field: 'caseReference' });
    }

    // Decided and journaled like the GraphQL accessLog field: the DPO's reading is itself
    // in the log, and a log that cannot be written releases nothing.
    const at = clock.now().toISOString();
    const request = { purpose: ctx.purpose, caseReference: ctx.caseReference };
    const [decision] = decide([{ avs, category: ACCESS_LOG_CATEGORY }], { policy: opts.policy, requester: ctx.requester, request, at, factsOf: () => undefined });
    const header = {
      at,
      requester: ctx.requester,
      purpose: ctx.purpose ?? null,
      caseReference: ctx.caseReference ?? null,
      subgraph: opts.decidedBy ?? 'gateway',
      requestId: ctx.requestId,
      policy: `${opts.policy.name} ${opts.policy.version}`,
    };
    try {
      await opts.journal.decisions(header, [decision!]);
    } catch (e) {
      log.error({ service: 'gateway', route: 'policy/access-log', ...errorFields(e) }, 'access log cannot be written');
      return sendError(res, 503, 'AUDIT_UNAVAILABLE', 'The access log cannot be written; no data is released.');
    }
    if (!decision!.allowed) {
      return sendError(res, 403, 'FORBIDDEN', explainDenial(decision!, opts.policy, ctx.requester, request), { category: ACCESS_LOG_CATEGORY, reason: decision!.reason });
    }

    let entries: AccessLogEntry[];
    let truncated = false;
    try {
      ({ entries, truncated } = await readWholeLog(opts.journal.log, avs, rawCase, pageSize, maxEntries));
    } catch (e) {
      log.error({ service: 'gateway', route: 'policy/access-log', ...errorFields(e) }, 'access log cannot be read');
      return sendError(res, 503, 'AUDIT_UNAVAILABLE', 'The access log cannot be read.');
    }

    let body: string;
    const headers: Record<string, string> = { ...COMMON_HEADERS };
    if (truncated) headers['x-ciigraph-truncated'] = String(maxEntries);
    if (format === 'csv') {
      body = renderAccessLogCsv(entries);
      headers['content-type'] = 'text/csv; charset=utf-8; header=present';
      headers['content-disposition'] = `attachment; filename="access-log-${avs}${rawCase ? '-case' : ''}.csv"`;
    } else if (format === 'json') {
      body = JSON.stringify([...entries].reverse());
      headers['content-type'] = 'application/json; charset=utf-8';
    } else {
      const csv = new URLSearchParams({ avs, format: 'csv', ...(rawCase ? { caseReference: rawCase } : {}) });
      const page = renderAccessLogHtml(entries, {
        avs,
        caseReference: rawCase,
        readBy: `${ctx.requester.institution} ${ctx.requester.role} ${ctx.requester.subject}`,
        csvHref: `?${csv.toString()}`,
        generatedAt: new Date(at),
        truncatedAt: truncated ? maxEntries : undefined,
      });
      body = page.html;
      headers['content-type'] = 'text/html; charset=utf-8';
      headers['content-security-policy'] = page.contentSecurityPolicy;
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(200, headers);
    res.end(body);
  };
}

/** Pages through the log newest first (the AuditLog's order) until it runs out or the cap is reached. */
export async function readWholeLog(
  audit: AuditLog,
  avs: string,
  caseReference: string | undefined,
  pageSize = 1000,
  maxEntries = 100_000,
): Promise<{ entries: AccessLogEntry[]; truncated: boolean }> {
  const entries: AccessLogEntry[] = [];
  let before: string | undefined;
  for (;;) {
    const first = Math.min(pageSize, maxEntries - entries.length);
    if (first <= 0) {
      // One more entry would say whether there is more than the cap.
      const more = await audit.query({ avs, first: 1, before, caseReference });
      return { entries, truncated: more.length > 0 };
    }
    const page = await audit.query({ avs, first, before, caseReference });
    entries.push(...page);
    if (page.length < first) return { entries, truncated: false };
    before = page.at(-1)!.id;
  }
}

export interface SignalsRouteOptions {
  policy: Policy;
  /** Journals the reading, and reads the log it appends to. */
  journal: Journal;
  /** Who recorded the consents that released reads. */
  consents: ConsentStore;
  clock?: Clock;
}

/** The longest period one page looks at: the log is read from the usual-day window before it. */
const MAX_SIGNAL_DAYS = 92;
const Day = /^\d{4}-\d{2}-\d{2}$/;

/**
 * GET /policy/signals?from=YYYY-MM-DD&to=YYYY-MM-DD&format=html|json: the fishing signals of
 * the period (default: the last seven days), thresholds from the active policy. The persons the
 * page names are access-log readings: decided under `audit.accessLog` and journaled first.
 */
export function createSignalsRoute(opts: SignalsRouteOptions): DpoRouteHandler {
  const clock = opts.clock ?? systemClock;
  return async (req, res, ctx) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const today = isoDate(clock.now());
    const to = url.searchParams.get('to') ?? today;
    const from = url.searchParams.get('from') ?? addDays(to, -6);
    for (const [field, day] of [['from', from], ['to', to]] as const) {
      if (!Day.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || addDays(day, 0) !== day) return sendError(res, 400, 'BAD_USER_INPUT', `${field} is a day, YYYY-MM-DD.`, { field });
    }
    if (from > to) return sendError(res, 400, 'BAD_USER_INPUT', 'from is after to.', { field: 'from' });
    if (addDays(from, MAX_SIGNAL_DAYS - 1) < to) return sendError(res, 400, 'BAD_USER_INPUT', `At most ${MAX_SIGNAL_DAYS} days at a time.`, { field: 'to' });
    const format = url.searchParams.get('format') ?? 'html';
    if (format !== 'html' && format !== 'json') return sendError(res, 400, 'BAD_USER_INPUT', 'format is html or json.', { field: 'format' });

    let report: FishingReport;
    try {
      report = await readFishingSignals(opts.journal.log, opts.consents, { from, to }, opts.policy.fishingSignals);
    } catch (e) {
      log.error({ service: 'gateway', route: 'policy/signals', ...errorFields(e) }, 'access log or consents cannot be read');
      return sendError(res, 503, 'AUDIT_UNAVAILABLE', 'The access log cannot be read.');
    }
    if (to === today) fishingSignalsFound(report.signals.filter((s) => s.day === today));

    // The persons the signals name are read from their logs: decided and journaled as such.
    const persons = [...new Set(report.signals.flatMap((s) => s.entries.map((e) => e.avs)))];
    const at = clock.now().toISOString();
    const request = { purpose: ctx.purpose, caseReference: ctx.caseReference };
    const decisions = decide(persons.map((avs) => ({ avs, category: ACCESS_LOG_CATEGORY })), { policy: opts.policy, requester: ctx.requester, request, at, factsOf: () => undefined });
    if (decisions.length) {
      const header = { at, requester: ctx.requester, purpose: ctx.purpose ?? null, caseReference: ctx.caseReference ?? null, subgraph: 'gateway', requestId: ctx.requestId, policy: `${opts.policy.name} ${opts.policy.version}` };
      try {
        await opts.journal.decisions(header, decisions);
      } catch (e) {
        log.error({ service: 'gateway', route: 'policy/signals', ...errorFields(e) }, 'access log cannot be written');
        return sendError(res, 503, 'AUDIT_UNAVAILABLE', 'The access log cannot be written; no data is released.');
      }
    }
    const released = new Set(decisions.filter((d) => d.allowed).map((d) => d.avs));
    const shown: FishingReport = { ...report, signals: report.signals.map((s) => ({ ...s, entries: s.entries.filter((e) => released.has(e.avs)) })) };

    const headers: Record<string, string> = { ...COMMON_HEADERS };
    let body: string;
    if (format === 'json') {
      body = signalsJson(shown);
      headers['content-type'] = 'application/json; charset=utf-8';
    } else {
      const page = renderSignalsHtml(shown, { readBy: `${ctx.requester.institution} ${ctx.requester.role} ${ctx.requester.subject}`, generatedAt: new Date(at), policy: `${opts.policy.name} ${opts.policy.version}` });
      body = page.html;
      headers['content-type'] = 'text/html; charset=utf-8';
      headers['content-security-policy'] = page.contentSecurityPolicy;
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(200, headers);
    res.end(body);
  };
}
