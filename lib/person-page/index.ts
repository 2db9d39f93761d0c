// The person's own page (issue 19, point 5), served by the gateway at /me: who read which
// category of their data, when, for which purpose and case, under which law or consent, in
// words; their consents, what each releases to whom, a button to withdraw one; and a consent
// they give themselves after its preview. French, German and English (translations.json, data).
// The page holds no personal data: its script reads everything through /graphql with the
// person's own token (the canton's e-ID gives it in the URL fragment, which never reaches a
// server), so it shows exactly what that token may read and nothing of the registries.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The languages of the page, the first the default. */
export const LANGUAGES = ['fr', 'de', 'en'] as const;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' } as const;

function shell(base: string): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ciigraph</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/page.css">
<script src="${base}/page.js" defer></script>
</head>
<body>
<main id="app" data-base="${base}" aria-live="polite"></main>
</body>
</html>
`;
}

export function createPersonPageRoute(opts: { basePath?: string } = {}): ((req: IncomingMessage, res: ServerResponse) => void) & { basePath: string } {
  const base = opts.basePath ?? '/me';
  const files: Record<string, { type: string; body: Buffer }> = {
    [base]: { type: 'text/html; charset=utf-8', body: Buffer.from(shell(base)) },
    [`${base}/page.js`]: { type: 'text/javascript; charset=utf-8', body: readFileSync(here('./assets/page.js')) },
    [`${base}/page.css`]: { type: 'text/css; charset=utf-8', body: readFileSync(here('./assets/page.css')) },
    [`${base}/translations.json`]: { type: 'application/json; charset=utf-8', body: readFileSync(here('./translations.json')) },
  };
  const route = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '') || base;
    const file = req.method === 'GET' || req.method === 'HEAD' ? files[path] : undefined;
    if (!file) {
      res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    res.writeHead(200, { ...HEADERS, 'content-type': file.type, 'content-length': file.body.length, 'content-security-policy': CSP });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };
  return Object.assign(route, { basePath: base });
}
