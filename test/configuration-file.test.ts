// One configuration file (YAML, CIIGRAPH_CONFIG), validated as a whole with zod, every setting
// also overridable by its environment variable: the canton example is a complete production
// configuration; a variable wins over the file; an unknown key, a bad value, a malformed file
// or a missing one stops the start naming the file, the line, the key and the fault (or the
// variable), and `npm start` says so and exits.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadConfig } from '../lib/config.ts';
import { ENV_BINDINGS, Settings } from '../lib/config/settings.ts';
import { runCommand } from './support/run-command.ts';

const EXAMPLE = fileURLToPath(new URL('../config/canton.example.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-config-'));
let n = 0;
/** A configuration file with this text. */
const file = (text: string) => {
  const path = join(dir, `ciigraph-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
};
/** The start's refusal, as its message. */
const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('the canton example', () => {
  it('is a complete production configuration, every part of it read', () => {
    const c = loadConfig({ CIIGRAPH_CONFIG: EXAMPLE });
    expect(c.env).toBe('production');
    expect(c.file).toBe(EXAMPLE);
    expect(c.ports.admin).toBe(9400);
    expect(c.auth.issuers.map((i) => i.issuer)).toEqual(['https://iam.ge.ch/realms/cii', 'https://eid-broker.ge.ch']);
    expect(c.auth.issuers[0]).toMatchObject({ audience: ['ciigraph-gateway'], keys: { jwksUrl: expect.stringContaining('/certs') }, claims: { role: ['realm_access', 'roles'], client: 'azp' }, maxTokenLifetimeS: 3600 });
    expect(c.auth.issuers[1]!.maxTokenLifetimeS).toBe(900);
    expect(c.frontDoor.corsOrigins).toEqual(['https://dossier-cii.ge.ch', 'https://plasta-web.ge.ch']);
    expect(c.frontDoor.rateLimit).toEqual({ requests: 600, windowS: 60, clients: { 'nightly-caseload-sync': { requests: 60, windowS: 60 } } });
    expect(c.outgoing.registries).toMatchObject({ caFile: '/etc/ciigraph/tls/ge-internal-ca.pem', certFile: '/run/secrets/ciigraph-client.pem' });
    expect(c.registryUrls.disability).toBe('https://office-ai.ge.internal/api/ciigraph');
    expect(c.useMocks).toBe(false);
    expect(c.audit).toEqual({
      redisUrl: 'rediss://ciigraph-audit-redis.ge.internal:6380',
      redisPrefix: 'ciigraph:',
      separateRedis: true,
      durability: 'fsync',
      signingKeyFile: '/run/secrets/audit-signing-key.pem',
      publicKeyFiles: ['/etc/ciigraph/audit-public-key-2025.pem'],
      checkpoint: { everyRecords: 1000, everyMs: 60_000 },
      retentionDays: 3650,
      developmentKeysDir: expect.any(String),
    });
  });
});

describe('environment variables', () => {
  /** The schema of a settings path, through the optional/default wrappers. */
  function schemaAt(path: readonly string[]): z.ZodType | undefined {
    let node: any = Settings;
    for (const key of path) {
      while (node?._zod?.def?.innerType) node = node._zod.def.innerType;
      node = node?.shape?.[key];
    }
    return node;
  }

  it('name a setting of the schema each', () => {
    const missing = ENV_BINDINGS.filter((b) => !schemaAt(b.path)).map((b) => b.variable);
    expect(missing).toEqual([]);
    expect(new Set(ENV_BINDINGS.map((b) => b.variable)).size).toBe(ENV_BINDINGS.length);
  });

  it('win over the file: a number, a list, a JSON list of issuers', () => {
    const base = { CIIGRAPH_CONFIG: EXAMPLE };
    const c = loadConfig({
      ...base,
      GATEWAY_PORT: '4100',
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      IDENTITY_ISSUERS: JSON.stringify([{ issuer: 'https://other.example', audience: 'x', jwksUrl: 'https://other.example/jwks' }]),
      RATE_LIMIT_REQUESTS: '5',
    });
    expect(c.ports.gateway).toBe(4100);
    expect(c.frontDoor.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.auth.issuers.map((i) => i.issuer)).toEqual(['https://other.example']);
    expect(c.frontDoor.rateLimit.requests).toBe(5);
    // What the variables do not name stays the file's.
    expect(c.frontDoor.rateLimit.windowS).toBe(60);
    expect(c.ports.admin).toBe(9400);
  });

  it('with a bad value, stop the start naming the variable, its key and the fault', () => {
    const base = { CIIGRAPH_CONFIG: EXAMPLE };
    const m = refusal({ ...base, RATE_LIMIT_REQUESTS: '-1', IDENTITY_ISSUERS: '[{' });
    expect(m).toContain(EXAMPLE);
    expect(m).toMatch(/environment variable RATE_LIMIT_REQUESTS \(frontDoor\.rateLimit\.requests\): .*>=0/);
    expect(m).toMatch(/environment variable IDENTITY_ISSUERS \(identity\.issuers\): not valid JSON/);
    expect(refusal({ ...base, CORS_ALLOWED_ORIGINS: 'https://ok.example/path' })).toMatch(
      /environment variable CORS_ALLOWED_ORIGINS \(frontDoor\.cors\.allowedOrigins\.0\): an origin is scheme:\/\/host\[:port\]/,
    );
    expect(refusal({ ...base, GATEWAY_PORT: 'four thousand' })).toMatch(/environment variable GATEWAY_PORT \(ports\.gateway\): /);
  });
});

describe('faults in the file', () => {
  it('an unknown key stops the start naming the file, the line and the key', () => {
    const path = file(['env: development', 'frontDoor:', '  cors:', '    allowedOrigin: [https://typo.example]', 'limts:', '  maxDepth: 4', ''].join('\n'));
    const m = refusal({ CIIGRAPH_CONFIG: path });
    expect(m).toContain(`${path}:`);
    expect(m).toContain('frontDoor.cors.allowedOrigin (line 4): unknown key');
    expect(m).toContain('limts (line 5): unknown key');
  });

  it('a bad value stops the start naming the file, the line, the key and the fault', () => {
    const issuer = (...lines: string[]) => ['identity:', '  issuers:', '    - issuer: https://idp.example', '      audience: ciigraph', ...lines, ''].join('\n');
    const path = file(`ports:\n  gateway: 99999\n${issuer('      jwksUrl: https://idp.example/certs', '      algorithms: [HS256]')}`);
    const m = refusal({ CIIGRAPH_CONFIG: path });
    expect(m).toContain(path);
    expect(m).toMatch(/ports\.gateway \(line 2\): .*65535/);
    expect(m).toMatch(/identity\.issuers\.0\.algorithms\.0 \(line 8\): .*RS256/);
    const both = file(issuer('      jwksUrl: https://idp.example/certs', '      publicKeyFile: /idp.pem'));
    expect(refusal({ CIIGRAPH_CONFIG: both })).toMatch(new RegExp(`${both}:\\n  - identity\\.issuers\\.0 \\(line 3\\): give exactly one of jwksUrl and publicKeyFile`));
  });

  it('a file that is not YAML, or not there, stops the start naming it', () => {
    const broken = file('ports:\n  gateway: [4000\n');
    expect(refusal({ CIIGRAPH_CONFIG: broken })).toMatch(new RegExp(`${broken}:[\\s\\S]*at line \\d+, column \\d+`));
    const absent = join(dir, 'absent.yaml');
    expect(refusal({ CIIGRAPH_CONFIG: absent })).toContain(`${absent}:\n  - cannot read the configuration file`);
    expect(refusal({ CIIGRAPH_CONFIG: file('- just\n- a list\n') })).toContain('the file must hold a mapping of settings');
  });

  it('`npm start` with such a file says so, naming the file and the key, and exits', async () => {
    const path = file('env: development\nratelimit:\n  requests: 5\n');
    const run = await runCommand('npm', ['start', '--silent'], { ...process.env, CIIGRAPH_CONFIG: path });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot start: ${path}:`);
    expect(run.stderr).toContain('ratelimit (line 2): unknown key');
  }, 60_000);
});
