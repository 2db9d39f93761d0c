// A TLS front for a plain-HTTP service on loopback, demanding a client certificate signed by
// its CA (mutual TLS), the way a registry or a subgraph behind a TLS proxy would be reached.
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestPki } from './certificates.ts';

export interface TlsProxy {
  url: string;
  /** Requests that reached the service through it (each with a verified client certificate). */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function startTlsProxy(target: string, pki: TestPki): Promise<TlsProxy> {
  let forwarded = 0;
  const server: Server = createServer(
    { key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      forwarded++;
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
