// The mock registries over real HTTP: a node:http server that turns each request into a Fetch
// Request, lets the msw handlers answer it (getResponse), and writes the Response back. This
// is what `npm start` and a single institution's developer run; tests use it on port 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse } from 'msw';
import { REGISTRY_SUBGRAPHS, type RegistrySubgraphName } from '../lib/config.ts';
import { createRegistryHandlers } from './handlers.ts';
import { MOCK_TODAY } from './dates.ts';

export interface MockRegistriesOptions {
  /** 0 picks a free port (default 0). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latencyMs?: number;
  /**
   * Keep at most this many recent entries in `lookups` (default 100 000), so a long-running
   * server's memory stays bounded; `/__calls` still counts every lookup.
   */
  maxRecordedLookups?: number;
  /** The mocks' day to start on (default MOCK_TODAY). */
  today?: string;
}

export interface LookupRecord {
  registry: RegistrySubgraphName;
  avs: string;
  sections: string[];
}

export interface MockRegistries {
  /** http://host:port */
  url: string;
  port: number;
  /** Lookup calls received per registry (bodies that parse as a lookup request). */
  calls: Record<RegistrySubgraphName, number>;
  /** Every person-section request received, in order (the latest `maxRecordedLookups` when capped). */
  lookups: LookupRecord[];
  resetCounters(): void;
  /** The mocks' day (ISO date): what the registries hold moves with it (the painter's story). */
  today(): string;
  /** Moves the mocks' clock to a day (also POST /__clock {"today": "YYYY-MM-DD"}). */
  setToday(day: string): void;
  close(): Promise<void>;
}

/** Bodies above this are refused, so a runaway client cannot exhaust memory (1000 requests fit easily). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
// Hop-by-hop or framing headers belong to the node connection, not to the Fetch Request.
const SKIPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'expect', 'host']);

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

async function toFetchRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || SKIPPED_HEADERS.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
  // The server's own origin, not the Host header: the handlers match any origin anyway, and a
  // hostile Host header must not make URL parsing throw.
  return new Request(new URL(req.url ?? '/', origin), { method, headers, body });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

export async function startMockRegistries(opts: MockRegistriesOptions = {}): Promise<MockRegistries> {
  const host = opts.host ?? '127.0.0.1';
  const maxRecorded = opts.maxRecordedLookups ?? 100_000;
  const calls = Object.fromEntries(REGISTRY_SUBGRAPHS.map((r) => [r, 0])) as Record<RegistrySubgraphName, number>;
  const lookups: LookupRecord[] = [];
  let lookupCount = 0; // exact even when `lookups` is capped

  let today = opts.today ?? MOCK_TODAY;
  const setToday = (day: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new Error(`not an ISO date: ${JSON.stringify(day)}`);
    today = day;
  };
  const handlers = createRegistryHandlers({
    today: () => today,
    latencyMs: opts.latencyMs ?? 0,
    onCall: (registry, body) => {
      calls[registry]++;
      for (const { avs, sections } of body.requests) {
        lookupCount++;
        lookups.push({ registry, avs, sections: [...sections] });
      }
      // Trim in batches so capping costs amortised O(1) per entry.
      if (lookups.length > 2 * maxRecorded) lookups.splice(0, lookups.length - maxRecorded);
    },
  });

  const resetCounters = () => {
    for (const r of REGISTRY_SUBGRAPHS) calls[r] = 0;
    lookups.length = 0;
    lookupCount = 0;
  };

  let origin = '';
  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      // Lets another process (a benchmark) read and reset the counters.
      if (req.method === 'GET' && path === '/__calls') return sendJson(res, 200, { calls, lookups: lookupCount });
      // Lets another process (a test, a demo) move the mocks' clock.
      if (path === '/__clock') {
        if (req.method === 'POST') {
          try {
            setToday(String((JSON.parse(Buffer.from(await readBody(req)).toString('utf8')) as { today?: unknown }).today));
          } catch (e) {
            return sendJson(res, 400, { error: (e as Error).message });
          }
        }
        return sendJson(res, 200, { today });
      }
      if (req.method === 'POST' && path === '/__calls/reset') {
        resetCounters();
        return sendJson(res, 200, { calls, lookups: lookupCount });
      }
      const response = await getResponse(handlers, await toFetchRequest(req, origin));
      if (!response) return sendJson(res, 404, { error: `No mock registry at ${req.method} ${path}` });
      await sendResponse(res, response);
    } catch (error) {
      if (res.headersSent || res.destroyed) return void res.destroy();
      if (error instanceof BodyTooLarge) return sendJson(res, 413, { error: `The request body exceeds ${MAX_BODY_BYTES} bytes.` });
      sendJson(res, 500, { error: error instanceof Error ? error.message : 'Internal error in the mock registries.' });
    }
  });
  // Outlive clients' idle keep-alive sockets (undici keeps them 4 s) so pooled connections are
  // reused rather than raced by the server closing them.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  origin = url;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // server.close() waits for open sockets; idle keep-alive and in-flight ones are cut here.
      server.closeAllConnections();
    }));

  return { url, port, calls, lookups, resetCounters, today: () => today, setToday, close };
}
