// One way to serve an Apollo Server (gateway or subgraph) over plain node:http, with the
// extra routes a service needs (/healthz, /readyz, ...). No framework: the hot path is a
// JSON body read and one executeHTTPGraphQLRequest call.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { errorFields, log } from './log.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServiceOptions<Ctx extends BaseContext> {
  name: string;
  host: string;
  port: number;
  /** The context of a GraphQL request, from the request and the exact bytes of its body (none for a GET). */
  apollo?: { server: ApolloServer<Ctx>; path?: string; context: (req: IncomingMessage, body: Buffer | undefined) => Promise<Ctx> };
  /** GET routes by exact path. */
  routes?: Record<string, RouteHandler>;
  /** Routes of any method for a path and everything under it (`/graphiql`: /graphiql, /graphiql/...). */
  prefixRoutes?: Record<string, RouteHandler>;
  maxBodyBytes?: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  drainTimeoutMs?: number;
  /** Against slow clients: the longest to receive a request's headers, and the whole request (headers and body). */
  timeouts?: { headersMs: number; requestMs: number };
  /** Runs before any route (CORS, ...); true when it has answered the request itself. */
  frontDoor?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface HttpService {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
  /** Requests being answered now. */
  inFlight?(): number;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop buffering; the caller answers 413 and closes the connection afterwards.
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startHttpService<Ctx extends BaseContext>(opts: HttpServiceOptions<Ctx>): Promise<HttpService> {
  const graphqlPath = opts.apollo?.path ?? '/graphql';
  const limit = opts.maxBodyBytes ?? 1_000_000;

  let closing = false;
  let inFlight = 0;
  // node checks both deadlines every connectionsCheckingInterval (30 s by default): checked
  // often enough here that a slow client is cut close to its deadline.
  const timeouts = opts.timeouts
    ? { headersTimeout: opts.timeouts.headersMs, requestTimeout: opts.timeouts.requestMs, connectionsCheckingInterval: Math.min(1000, opts.timeouts.headersMs) }
    : {};
  const server = createServer(timeouts, async (req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    // While draining, every answer closes its connection, so keep-alive clients move on.
    if (closing) res.setHeader('connection', 'close');
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (opts.frontDoor?.(req, res)) return;
      if (opts.apollo && url.pathname === graphqlPath) {
        await serveGraphQL(opts.apollo, req, res, url, limit);
        return;
      }
      const route = req.method === 'GET' ? opts.routes?.[url.pathname] : undefined;
      if (route) {
        await route(req, res);
        return;
      }
      const prefixed = Object.entries(opts.prefixRoutes ?? {}).find(([p]) => url.pathname === p || url.pathname.startsWith(`${p}/`));
      if (prefixed) {
        await prefixed[1](req, res);
        return;
      }
      sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        if (!res.headersSent) {
          res.setHeader('connection', 'close');
          sendJson(res, 413, { errors: [{ message: `The request body is larger than ${limit} bytes.`, extensions: { code: 'BAD_USER_INPUT', limit: 'body' } }] });
        }
        return;
      }
      // The client went away mid-request (or was cut off as too slow): nothing to answer, nothing broken here.
      if (req.destroyed && (e as { code?: string }).code === 'ECONNRESET') {
        log.debug({ service: opts.name }, 'request aborted by the client');
        return;
      }
      // Never leak internals: the detail goes to the server's stderr only.
      log.error({ service: opts.name, ...errorFields(e) }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    name: opts.name,
    port,
    url: `http://${host}:${port}`,
    // Graceful: stop accepting, let in-flight requests finish (each answer closing its
    // connection), close idle keep-alive connections as they appear, and cut whatever is
    // left after the drain timeout.
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        const deadline = Date.now() + (opts.drainTimeoutMs ?? 10_000);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        const sweep = setInterval(() => {
          server.closeIdleConnections();
          if (Date.now() > deadline) server.closeAllConnections();
        }, 25);
        server.closeIdleConnections();
      }),
    inFlight: () => inFlight,
  };
}

async function serveGraphQL<Ctx extends BaseContext>(
  apollo: NonNullable<HttpServiceOptions<Ctx>['apollo']>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  limit: number,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  let raw: Buffer | undefined;
  if (req.method === 'POST') {
    raw = await readBody(req, limit);
    const text = raw.toString('utf8');
    if ((headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        sendJson(res, 400, { errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
    } else body = text;
  }
  const response = await apollo.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => apollo.context(req, raw),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
