// Notifications in a running stack: each institutional subgraph's ingest endpoint (a registry
// that can push names the persons whose files changed) and its scheduled comparison, and the
// webhook runs. The work itself is in lib/notifications.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { localKey } from '../lib/auth/dev-issuer.ts';
import { parseAvs } from '../lib/avs.ts';
import type { Config } from '../lib/config.ts';
import { sendJson, type RouteHandler } from '../lib/http-server.ts';
import { log } from '../lib/log.ts';
import { compare, MAX_PERSONS_PER_CALL, Scanner, type Comparison, type WatchDeps, type WatchedRegistry } from '../lib/notifications/watch.ts';
import { webhookSigningKey, WebhookDispatcher, type DispatchOutcome } from '../lib/notifications/webhooks.ts';
import type { Institution } from '../lib/schema/catalogue.ts';
import type { SubgraphDefinition, SubgraphDeps } from '../subgraphs/shared/definition.ts';
import { readFileSync } from 'node:fs';

/** Where a registry pushes the persons whose files changed: POST, bearer token, {"avs": [...]}. */
export const INGEST_PATH = '/notifications/ingest';

const IngestBody = z.strictObject({ avs: z.array(z.string()).min(1).max(MAX_PERSONS_PER_CALL) });

export interface Notifications {
  /** The ingest route of a subgraph that watches its registry (none for the others). */
  ingestRoutes(def: SubgraphDefinition): Record<string, RouteHandler>;
  /** One scheduled comparison of each watched registry of this stack, now. */
  scan(): Promise<Map<Institution, Comparison>>;
  /** One webhook run, now. */
  dispatch(): Promise<DispatchOutcome>;
  stop(): Promise<void>;
}

function pushToken(config: Config): Buffer {
  if (config.env !== 'production') return localKey(config.notifications.pushTokenFile);
  return Buffer.from(readFileSync(config.notifications.pushTokenFile, 'utf8').trim(), 'hex');
}

export function startNotifications(config: Config, deps: SubgraphDeps, definitions: readonly SubgraphDefinition[]): Notifications {
  const watchDeps: WatchDeps = {
    policy: deps.policy,
    readFacts: deps.readFacts,
    journal: deps.journal,
    store: deps.notifications,
    clock: deps.clock,
    webhookRecipients: deps.webhookRecipients,
    cases: deps.cases,
  };
  const watched = definitions.flatMap((d) => (d.watch ? [d.watch] : []));
  const scanners = new Map(watched.map((w) => [w.institution, new Scanner(w, watchDeps)]));
  const timers: NodeJS.Timeout[] = [];
  if (config.notifications.scanIntervalMs > 0) {
    for (const [institution, scanner] of scanners) {
      const t = setInterval(() => void scanner.run().catch((e) => log.warn({ institution, reason: (e as Error).message }, 'notification scan failed')), config.notifications.scanIntervalMs);
      t.unref();
      timers.push(t);
    }
  }
  // The webhooks are sent from the consent subgraph's process (one per stack, several stacks share the outbox's leases).
  const sendsWebhooks = definitions.some((d) => d.name === 'consent') && deps.webhookRecipients.size > 0;
  const dispatcher = sendsWebhooks
    ? new WebhookDispatcher({
        store: deps.notifications,
        endpoints: config.notifications.webhooks,
        key: webhookSigningKey(config.notifications.signingKeyFile, config.notifications.keyId, config.env === 'production'),
        clock: deps.clock,
        maxAttempts: config.notifications.maxAttempts,
        backoffMs: config.notifications.backoffMs,
      })
    : undefined;
  dispatcher?.start(config.notifications.webhookIntervalMs);
  let token: Buffer | undefined;

  const ingest = (w: WatchedRegistry): RouteHandler => async (req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== INGEST_PATH) return sendJson(res, 404, { error: 'no such route' });
    try {
      token ??= pushToken(config);
    } catch (e) {
      // Fail closed: without its token no push is taken.
      log.error({ institution: w.institution, reason: (e as Error).message }, 'the registry push token cannot be read');
      return sendJson(res, 503, { error: 'pushes are not configured (REGISTRY_PUSH_TOKEN_FILE)' });
    }
    if (!authorised(req, token)) return sendJson(res, 401, { error: 'a registry push needs its bearer token' });
    const parsed = IngestBody.safeParse(await readJson(req, res));
    if (!parsed.success) return sendJson(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    const persons: string[] = [];
    for (const [i, a] of parsed.data.avs.entries()) {
      const p = parseAvs(a);
      if (!p.ok) return sendJson(res, 400, { error: `avs[${i}]: ${p.message}` });
      persons.push(p.avs);
    }
    try {
      await compare(w, persons, watchDeps);
    } catch (e) {
      log.warn({ institution: w.institution, reason: (e as Error).message }, 'notification ingest failed');
      // The registry pushes again: nothing was noted, so nothing is lost.
      return sendJson(res, 503, { error: 'not handled now; push again' });
    }
    // The same answer whether anyone was told: the registry learns nothing of other institutions.
    sendJson(res, 202, { accepted: persons.length });
  };

  return {
    ingestRoutes: (def): Record<string, RouteHandler> => (def.watch ? { [INGEST_PATH]: ingest(def.watch) } : {}),
    scan: async () => {
      const out = new Map<Institution, Comparison>();
      for (const [institution, scanner] of scanners) out.set(institution, await scanner.run());
      return out;
    },
    dispatch: () => (dispatcher ? dispatcher.runOnce() : Promise.resolve({ delivered: 0, retried: 0, dead: 0 })),
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await dispatcher?.stop();
    },
  };
}

function authorised(req: IncomingMessage, token: Buffer): boolean {
  const m = /^Bearer ([0-9a-f]{64,})$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'hex');
  return given.length === token.length && timingSafeEqual(given, token);
}

async function readJson(req: IncomingMessage, _res: ServerResponse): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 200_000) return undefined;
  }
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
