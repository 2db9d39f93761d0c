// The gateway sends nothing to Apollo's cloud, whatever the environment: an APOLLO_KEY and
// APOLLO_GRAPH_REF left in it would otherwise make Apollo Server report every operation's
// trace (requests about persons) to Apollo. Usage reporting and schema reporting are
// switched off explicitly in gateway/server.ts, so they never start.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startGateway } from '../gateway/server.ts';
import { loadPolicy } from '../lib/access/policy.ts';
import { ephemeralCredentialKeys } from '../lib/auth/subgraph-credential.ts';
import { loadConfig } from '../lib/config.ts';
import type { HttpService } from '../lib/http-server.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';

const ENV = { APOLLO_KEY: 'service:ciigraph-test:not-a-real-key', APOLLO_GRAPH_REF: 'ciigraph-test@current', APOLLO_SCHEMA_REPORTING: 'true' };
const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
const said: string[] = [];
let gateway: HttpService | undefined;

beforeAll(async () => {
  Object.assign(process.env, ENV);
  // Apollo Server's default logger writes through console, bound when a server is created.
  for (const level of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void said.push(args.map(String).join(' ')));
  }
  const dir = mkdtempSync(join(tmpdir(), 'ciigraph-apollo-'));
  const config = loadConfig({ NODE_ENV: 'test', DEV_TOKEN_SECRET_FILE: join(dir, 'dev-token-secret') });
  gateway = await startGateway({ config, policy: loadPolicy(loadCatalogue()), credentialKeys: ephemeralCredentialKeys(), port: 0 });
});

afterAll(async () => {
  await gateway?.close();
  vi.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

it('starts with an Apollo key and graph ref in the environment, and starts no reporting to Apollo', async () => {
  expect(gateway).toBeDefined();
  expect(said.filter((line) => /usage reporting|schema reporting|apollographql\.com/i.test(line))).toEqual([]);
});
