// One HTTP call to a dependency over node:http(s) with keep-alive connections, under one
// deadline covering connect, request, headers and the whole body, answered with the part of
// fetch's Response its callers read (RemoteGraphQLDataSource, RegistryClient). Not fetch:
// undici's WHATWG layers (Request, Headers, web streams) are work on every call this needs
// none of (measured: bench/README.md).
// Redirects are not followed: a 3xx is an answer like any other (the credential header of a
// subgraph call must not travel to wherever a redirect points). Each kind of dependency gets
// its own client (createHttpClient): its CA bundle and client certificate for mutual TLS, and
// a cap on the size of an answer, so a dependency cannot fill the caller's memory.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { StartupError } from './errors.ts';

export interface HttpCallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The subset of fetch's Response that the callers use; the body is already read. */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly redirected: false;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  json(): Promise<unknown>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

// Idle connections are closed after 4 s (undici's default too), or 1 s before the server's
// own Keep-Alive timeout if it announces a shorter one (node:http reads the hint): a request
// is then unlikely to be sent on a connection the server is closing.
const IDLE_MS = 4_000;

/** What AbortSignal.timeout makes fetch throw, so callers classify a deadline the same way. */
const deadlineExceeded = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

/** An answer longer than the client's cap: the connection is cut, nothing of it is kept. */
export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

export interface HttpClientOptions {
  /** PEM CA certificates trusted besides the system's (a private PKI's bundle). */
  ca?: string | Buffer | undefined;
  /** PEM client certificate (chain) and its key: mutual TLS. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** Most bytes an answer's body may have. */
  maxResponseBytes?: number;
}

export type HttpCaller = (url: string, init: HttpCallInit, deadlineMs: number) => Promise<HttpResponse>;

/** Transport settings from the configuration, files read now: a file that cannot be read stops the start. */
export function httpClientFromFiles(files: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; maxResponseBytes: number }): HttpCaller {
  const read = (file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new StartupError(file, [`cannot read this TLS file: ${(e as Error).message}`]);
    }
  };
  return createHttpClient({ ca: read(files.caFile), cert: read(files.certFile), key: read(files.keyFile), maxResponseBytes: files.maxResponseBytes });
}

export function createHttpClient(opts: HttpClientOptions = {}): HttpCaller {
  // The extra CA adds to the system's trust store rather than replacing it.
  const ca = opts.ca ? [...rootCertificates, opts.ca] : undefined;
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS, ...(ca ? { ca } : {}), ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}) }),
  };
  const limit = opts.maxResponseBytes ?? Number.POSITIVE_INFINITY;
  return (url, init, deadlineMs) => call(agents, limit, url, init, deadlineMs);
}

/** The default client: system CAs, no client certificate, no cap beyond the deadline. */
export const httpCall: HttpCaller = createHttpClient();

function call(agents: { 'http:': HttpAgent; 'https:': HttpsAgent }, limit: number, url: string, init: HttpCallInit, deadlineMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const agent = agents[target.protocol as keyof typeof agents];
    if (!agent) return reject(new TypeError(`unsupported protocol ${target.protocol}`));
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method ?? 'GET', headers, agent }, (res) => {
      const tooLarge = () => {
        settle(() => reject(new ResponseTooLarge(limit)));
        req.destroy();
      };
      if (Number(res.headers['content-length'] ?? 0) > limit) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return tooLarge();
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve(new BufferedResponse(url, res, Buffer.concat(chunks)))));
      // A body cut off is an error here too (ECONNRESET, "aborted"); should any end go
      // unreported, the deadline still settles the call.
      res.on('error', (e) => settle(() => reject(e)));
    });
    // Errors carry node's own codes (ECONNREFUSED, ECONNRESET, ...), as lib/resilience/retry.ts reads them.
    req.on('error', (e) => settle(() => reject(e)));
    timer = setTimeout(() => {
      settle(() => reject(deadlineExceeded()));
      // The connection is given up, not returned to the pool with an answer still coming.
      req.destroy();
    }, deadlineMs);
    // Like AbortSignal.timeout: the deadline alone does not keep the process alive.
    timer.unref();
    req.end(init.body);
  });
}

class BufferedResponse implements HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly redirected = false as const;
  readonly headers: HttpResponse['headers'];

  constructor(
    readonly url: string,
    res: IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status <= 299;
    this.statusText = res.statusMessage ?? '';
    this.headers = headerReader(res.headers);
  }

  async text(): Promise<string> {
    // As fetch decodes: UTF-8, a leading byte-order mark dropped.
    const text = this.body.toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
}

/** Case-insensitive header lookup; repeated headers joined as fetch joins them. */
function headerReader(headers: IncomingHttpHeaders): HttpResponse['headers'] {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    has: (name) => headers[name.toLowerCase()] !== undefined,
  };
}
