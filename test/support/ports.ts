import { createServer } from 'node:net';
import { DEFAULT_PORTS, envPrefix } from '../../lib/config.ts';

/** A port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `<SERVICE>_PORT` for the gateway, every subgraph and the mocks, each a free port: the environment of a whole stack run as a command. */
export async function freeStackPorts(): Promise<Record<string, string>> {
  const ports: Record<string, string> = {};
  for (const name of Object.keys(DEFAULT_PORTS)) ports[`${envPrefix(name)}_PORT`] = String(await freePort());
  return ports;
}
