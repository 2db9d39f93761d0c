// CORS for browser-based case platforms: an origin on the allowlist gets its preflight
// answered and may read the answers (Access-Control-Allow-Origin: that origin, never *); a
// request from any other origin is refused before anything runs (403 ORIGIN_NOT_ALLOWED),
// whatever it carries. Same-origin requests (the gateway's own pages) and requests without an
// Origin (servers, curl) are not CORS requests and pass.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../lib/errors.ts';
import { sendJson } from '../../lib/http-server.ts';

export interface CorsOptions {
  allowedOrigins: readonly string[];
  maxAgeS: number;
}

// What a case platform sends: the bearer token, JSON, the request's purpose and case reference.
const ALLOWED_HEADERS = 'authorization, content-type, x-purpose, x-case-reference';
// What it may read besides the CORS-safelisted headers: the request id to quote, when to retry.
const EXPOSED_HEADERS = 'x-request-id, retry-after';

const sameOrigin = (origin: string, req: IncomingMessage) => URL.canParse(origin) && new URL(origin).host === req.headers.host;

/** The front-door step: true when it answered the request itself (a preflight, or a refusal). */
export function corsFrontDoor(opts: CorsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const allowed = new Set(opts.allowedOrigins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || sameOrigin(origin, req)) return false;
    res.setHeader('vary', 'Origin');
    if (!allowed.has(origin)) {
      const e = errors.originNotAllowed(origin);
      sendJson(res, 403, { errors: [{ message: e.message, extensions: e.extensions }] });
      return true;
    }
    res.setHeader('access-control-allow-origin', origin);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': String(opts.maxAgeS),
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      });
      res.end();
      return true;
    }
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    return false;
  };
}
