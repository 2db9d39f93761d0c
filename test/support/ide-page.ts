// The development IDE page as a browser gets it: its one-time token-endpoint secret.
import { request } from 'node:http';

/** The one-time secret of a freshly served IDE page at `url` (/graphiql), asked for under `host` (default: the URL's). */
export function pageSecret(url: string, host?: string): Promise<string> {
  const target = new URL('/graphiql', url);
  return new Promise((resolve, reject) => {
    request(target, { headers: host ? { host } : {} }, (res) => {
      let html = '';
      res.on('data', (d) => (html += d));
      res.on('end', () => {
        const config = html.match(/<script type="application\/json" id="ide-config">(.*?)<\/script>/);
        if (!config) return reject(new Error(`no IDE page at ${target.href} (HTTP ${res.statusCode})`));
        resolve(JSON.parse(config[1]!).secret as string);
      });
    })
      .on('error', reject)
      .end();
  });
}
