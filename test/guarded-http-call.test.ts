// A call to a dependency (registry or subgraph) through the guarded keep-alive client: one
// connection reused across calls; the deadline covers the whole call, body included; each
// failure surfaces as the retry and breaker code expects it (a deadline is not retried, a
// refused or cut-off read is retried once, a 502 on a read once, never a mutation); a
// redirect is not followed. Outcomes only: no assertion on how long anything took.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../lib/resilience/circuit-breaker.ts';
import { guardedFetch, HttpStatusError } from '../lib/resilience/guarded-fetch.ts';
import { isTransientFailure } from '../lib/resilience/retry.ts';

const ANSWER = { files: Array.from({ length: 200 }, (_, i) => ({ avs: `756.0000.0000.${String(i).padStart(2, '0')}`, office: 'ORP Genève – Jonction' })) };

interface TestServer {
  url: string;
  requests: number;
  connections: number;
  /** Resolves once every connection the client opened is closed again. */
  allClosed(): Promise<void>;
  server: Server;
}
let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** A local dependency; the handler gets the request, its body, and its number (1, 2, ...). */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number, body: string) => void): Promise<TestServer> {
  let open = 0;
  const waiting: (() => void)[] = [];
  const server = createServer((req, res) => {
    const n = ++t.requests;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, n, body));
  });
  const t: TestServer = {
    url: '',
    requests: 0,
    connections: 0,
    server,
    allClosed: () => (open === 0 ? Promise.resolve() : new Promise((r) => waiting.push(r))),
  };
  server.on('connection', (socket) => {
    t.connections++;
    open++;
    socket.on('close', () => {
      if (--open === 0) for (const r of waiting.splice(0)) r();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/files/lookup`;
  return t;
}

const json = (res: ServerResponse, status = 200, body: unknown = ANSWER) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};
const POST = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"requests":[]}' };
const opts = (o: { retry?: boolean; timeoutMs?: number; failsOn?: (s: number) => boolean } = {}) => ({
  breaker: new CircuitBreaker('test', { failureThreshold: 100 }),
  timeoutMs: o.timeoutMs ?? 2000,
  retry: o.retry ?? true,
  failsOn: o.failsOn ?? ((s: number) => s < 200 || s > 299),
});
const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call should fail'), (e: unknown) => e as Error & { code?: string });

describe('an answer', () => {
  it('reads like fetch’s Response: ok, status, headers.get (any case), json(), text(), arrayBuffer()', async () => {
    const s = await serve((_req, res) => json(res));
    const res = await guardedFetch(s.url, POST, opts());
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-absent')).toBeNull();
    expect(await res.json()).toEqual(ANSWER);
    expect(JSON.parse(await res.text())).toEqual(ANSWER);
    expect(JSON.parse(Buffer.from(await res.arrayBuffer()).toString('utf8'))).toEqual(ANSWER);
  });

  it('sends the method, headers and body as given', async () => {
    let seen = {};
    const s = await serve((req, res, _n, body) => {
      seen = { method: req.method, type: req.headers['content-type'], body };
      json(res);
    });
    await guardedFetch(s.url, { ...POST, body: '{"requests":["é"]}' }, opts());
    expect(seen).toEqual({ method: 'POST', type: 'application/json', body: '{"requests":["é"]}' });
  });

  it('comes over one kept-alive connection, call after call, including after a failing status', async () => {
    const s = await serve((_req, res, n) => (n === 2 ? json(res, 500, { error: 'x' }) : json(res)));
    await guardedFetch(s.url, POST, opts());
    await expect(guardedFetch(s.url, POST, opts())).rejects.toBeInstanceOf(HttpStatusError);
    for (let i = 0; i < 3; i++) await guardedFetch(s.url, POST, opts());
    expect(s.requests).toBe(5);
    expect(s.connections).toBe(1);
  });

  it('a redirect is an answer, not followed (a credential header goes nowhere else)', async () => {
    const target = await serve((_req, res) => json(res));
    const s = await serve((_req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
    });
    const res = await guardedFetch(s.url, POST, opts({ failsOn: () => false }));
    expect(res.status).toBe(307);
    expect(res.ok).toBe(false);
    expect(target.requests).toBe(0);
  });
});

describe('the deadline covers the whole call', () => {
  it('a dependency that never answers: TimeoutError, not transient, tried once, its connection given up', async () => {
    const s = await serve(() => undefined);
    const e = await failure(guardedFetch(s.url, POST, opts({ timeoutMs: 300 })));
    expect(e.name).toBe('TimeoutError');
    expect(isTransientFailure(e)).toBe(false);
    expect(s.requests).toBe(1);
    // The client closes the connection (the server never would): this test hangs otherwise.
    await s.allClosed();
  });

  it('headers on time but the body too slow: TimeoutError as well (the body is part of the call)', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"files":[');
      // ...and the rest never comes.
    });
    const e = await failure(guardedFetch(s.url, POST, opts({ timeoutMs: 300 })));
    expect(e.name).toBe('TimeoutError');
    expect(s.requests).toBe(1);
  });
});

describe('failures as the retry and breaker code classify them', () => {
  it('connection refused: ECONNREFUSED, transient', async () => {
    const s = await serve((_req, res) => json(res));
    const url = s.url;
    s.server.close();
    const e = await failure(guardedFetch(url, POST, opts()));
    expect(e.code).toBe('ECONNREFUSED');
    expect(isTransientFailure(e)).toBe(true);
  });

  it('a body cut off: ECONNRESET, so a read is tried once more (and succeeds), a mutation is not', async () => {
    const cutFirst = (_req: IncomingMessage, res: ServerResponse, n: number) => {
      if (n > 1) return json(res);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      res.write('{"files":[', () => res.socket?.destroy());
    };
    const read = await serve(cutFirst);
    expect(await (await guardedFetch(read.url, POST, opts())).json()).toEqual(ANSWER);
    expect(read.requests).toBe(2);

    const mutation = await serve(cutFirst);
    const e = await failure(guardedFetch(mutation.url, POST, opts({ retry: false })));
    expect(e.code).toBe('ECONNRESET');
    expect(isTransientFailure(e)).toBe(true);
    expect(mutation.requests).toBe(1);
  });

  it('a 502 from a proxy: HttpStatusError, retried once for a read, never for a mutation', async () => {
    const s = await serve((_req, res) => json(res, 502, {}));
    const e = await failure(guardedFetch(s.url, POST, opts({ failsOn: (st) => st === 502 })));
    expect(e).toBeInstanceOf(HttpStatusError);
    expect((e as HttpStatusError).status).toBe(502);
    expect(s.requests).toBe(2);
    await failure(guardedFetch(s.url, POST, opts({ retry: false, failsOn: (st) => st === 502 })));
    expect(s.requests).toBe(3);
  });

  it('a status the caller does not count as failing is returned as it is, body readable', async () => {
    const s = await serve((_req, res) => json(res, 400, { errors: [{ message: 'bad' }] }));
    const res = await guardedFetch(s.url, POST, opts({ failsOn: (st) => st === 502 }));
    expect(res.status).toBe(400);
    expect(res.ok).toBe(false);
    expect(await res.json()).toEqual({ errors: [{ message: 'bad' }] });
  });
});
