// docker-compose.yml and the configuration file it mounts (config/docker-compose.yaml)
// against the code: every service is there, on its default port, with health checks on
// /healthz or the gateway's admin /readyz; every environment variable it sets is one the
// configuration schema (loadConfig) reacts to; each ciigraph service's configuration, with
// the secret files replaced by freshly generated ones, is a complete production
// configuration; each service is mounted the secrets it reads and no other private key.
// No Docker engine here: the last test runs the compose topology as in-process services
// (docker/service.ts, the image's entry point) on loopback and queries the gateway.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPolicy } from '../lib/access/policy.ts';
import { credentialVerifierFromConfig, gatewayCredentialKeys, signCredential } from '../lib/auth/subgraph-credential.ts';
import { UserTokenVerifier } from '../lib/auth/user-token.ts';
import { DEFAULT_PORTS, envPrefix, loadConfig, REGISTRY_PATHS, REGISTRY_SUBGRAPHS, SUBGRAPHS, type Config } from '../lib/config.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { composeIssuer } from '../docker/idp-token.ts';
import { readSigningKey } from '../lib/audit/signing-keys.ts';
import { SECRET_FILES, writeSecrets, type SecretName } from '../docker/secrets.ts';
import { serviceProblems, startService, SERVICES, type ServiceName } from '../docker/service.ts';
import { freePort } from './support/ports.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { runCommand } from './support/run-command.ts';
import { Redis } from 'ioredis';

const COMPOSE_FILE = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));
const CONFIG_FILE = fileURLToPath(new URL('../config/docker-compose.yaml', import.meta.url));
const CONFIG_MOUNT = '/etc/ciigraph/ciigraph.yaml';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  expose?: string[];
  secrets?: string[];
  networks?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  configs?: Array<{ source: string; target: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  configs: Record<string, { file: string }>;
  networks: Record<string, { internal?: boolean }>;
  volumes: Record<string, unknown>;
}

// Merge keys (<<: *anchor) as docker compose resolves them.
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
};
const envOf = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, String(v)]));

const CIIGRAPH_SERVICES = SERVICES; // gateway, the subgraphs, mocks
const PRODUCTION_SERVICES = CIIGRAPH_SERVICES.filter((s) => s !== 'mocks');
const SUBGRAPH_SERVICES = SUBGRAPHS;

/** Whether loadConfig reacts to a variable: its outcome with the variable set to a probe differs from its outcome without it. */
function knownToConfig(name: string, env: Record<string, string>): boolean {
  const outcome = (e: Record<string, string>) => {
    try {
      return JSON.stringify(loadConfig(e));
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    }
  };
  const { [name]: _dropped, ...without } = env;
  // Invalid for every typed variable (ports, URLs, enums, numbers, the Redis prefix), and a
  // new value for every free-form one (HOST, file paths, issuer): a known variable always shows.
  return outcome({ ...without, [name]: 'probe value \u0000' }) !== outcome(without);
}

let secretsDir: string;
let secrets: Record<SecretName, string>;
/** A service's environment with the configuration file's mounted secret paths replaced by the freshly generated files. */
let withTempFiles: (env: Record<string, string>) => Record<string, string>;
/** The configuration file's text with its mounted secret paths replaced by the generated files. */
let localConfigText: string;
const configSettings = () => parse(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, any>;

beforeAll(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'ciigraph-compose-secrets-'));
  secrets = writeSecrets(secretsDir);
  const byMountPath = new Map(
    Object.entries(compose.secrets).map(([secret, { file }]) => {
      const generated = Object.entries(SECRET_FILES).find(([, f]) => file.endsWith(`/${f}`));
      if (!generated) throw new Error(`secret ${secret} (${file}) is not a file npm run docker:secrets writes`);
      return [`/run/secrets/${secret}`, secrets[generated[0] as SecretName]];
    }),
  );
  localConfigText = readFileSync(CONFIG_FILE, 'utf8').replace(/\/run\/secrets\/[a-z-]+/g, (path) => byMountPath.get(path) ?? path);
  const localConfig = join(secretsDir, 'ciigraph.yaml');
  writeFileSync(localConfig, localConfigText);
  withTempFiles = (env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, k === 'CIIGRAPH_CONFIG' && v === CONFIG_MOUNT ? localConfig : v]));
});

afterAll(() => {
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  it('has the gateway, the five subgraphs, the mock registries, Redis and the access log\'s own Redis, each ciigraph service running itself from the one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...CIIGRAPH_SERVICES, 'redis', 'audit-redis'].sort());
    for (const name of CIIGRAPH_SERVICES) {
      const s = service(name);
      expect(s.command, name).toEqual([name]);
      expect(s.build, name).toEqual({ context: '.', dockerfile: 'docker/Dockerfile' });
      expect(s.image, name).toBe('ciigraph:local');
    }
    expect(readFileSync(fileURLToPath(new URL('../docker/Dockerfile', import.meta.url)), 'utf8')).toMatch(/ENTRYPOINT \["node", [^\]]*"docker\/service\.js"\]/);
  });

  it('runs each service on its default port, and checks its health there (/readyz on the admin port for the gateway, /healthz for the others)', () => {
    const admin = configSettings().ports.admin as number;
    for (const name of CIIGRAPH_SERVICES) {
      const port = DEFAULT_PORTS[name];
      const s = service(name);
      const config = loadConfig(withTempFiles(envOf(name)));
      expect(config.ports[name], name).toBe(port);
      const probe = s.healthcheck?.test.join(' ') ?? '';
      expect(probe, name).toContain(name === 'gateway' ? `http://127.0.0.1:${admin}/readyz` : `http://127.0.0.1:${port}/healthz`);
      // The admin port stays inside the container's network: it is not published.
      if (name === 'gateway') expect(config.ports.admin).toBe(admin);
      if (name === 'gateway') expect(s.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      else {
        expect(s.expose, name).toEqual([String(port)]);
        // Only the gateway is reachable from the host.
        expect(s.ports, name).toBeUndefined();
        expect(s.networks, name).toEqual(['internal']);
      }
    }
    expect(compose.networks.internal?.internal).toBe(true);
  });

  it('sets no environment variable the configuration schema does not know', () => {
    // The checker itself: it tells a known variable from an unknown one.
    const base = withTempFiles(envOf('gateway'));
    expect(knownToConfig('HOST', base)).toBe(true);
    expect(knownToConfig('DEV_TOKEN_AUDIENCE', base)).toBe(true);
    expect(knownToConfig('CONSENT_PORT', base)).toBe(true);
    expect(knownToConfig('CIIGRAPH_CONFIG', base)).toBe(true);
    expect(knownToConfig('MOCK_LATENCY_MS', base)).toBe(false);
    expect(knownToConfig('GATEWAY_REGISTRY_URL', base)).toBe(false);

    const unknown: string[] = [];
    for (const name of CIIGRAPH_SERVICES) {
      const env = withTempFiles(envOf(name));
      for (const key of Object.keys(env)) if (!knownToConfig(key, env)) unknown.push(`${name}: ${key}`);
    }
    expect(unknown).toEqual([]);
  });

  it('mounts the one configuration file in every ciigraph service but the mocks, and names it in CIIGRAPH_CONFIG', () => {
    expect(compose.configs.ciigraph?.file).toBe('./config/docker-compose.yaml');
    for (const name of PRODUCTION_SERVICES) {
      expect(service(name).configs, name).toEqual([{ source: 'ciigraph', target: CONFIG_MOUNT }]);
      expect(envOf(name), name).toEqual({ CIIGRAPH_CONFIG: CONFIG_MOUNT });
    }
    expect(service('mocks').configs).toBeUndefined();
  });

  it('points the gateway at every subgraph service and every subgraph at its registry on the mocks service, explicitly', () => {
    for (const name of PRODUCTION_SERVICES) {
      const config = loadConfig(withTempFiles(envOf(name)));
      for (const s of SUBGRAPHS) expect(config.subgraphUrls[s], `${name}: ${s}`).toBe(`http://${s}:${DEFAULT_PORTS[s]}/graphql`);
      for (const r of REGISTRY_SUBGRAPHS) expect(config.registryUrls[r], `${name}: ${r}`).toBe(`http://mocks:${DEFAULT_PORTS.mocks}${REGISTRY_PATHS[r]}`);
      expect(config.redisUrl, name).toBe('redis://redis:6379');
      // The evidence apart from operational data, acknowledged only once on disk.
      expect(config.audit, name).toMatchObject({ redisUrl: 'redis://audit-redis:6379', separateRedis: true, durability: 'fsync' });
    }
  });

  it('gives every ciigraph service but the mocks a complete production configuration (secret files replaced by generated ones)', async () => {
    const configs = new Map<ServiceName, Config>();
    for (const name of PRODUCTION_SERVICES) {
      const env = withTempFiles(envOf(name));
      const config = loadConfig(env);
      configs.set(name, config);
      expect(config.env).toBe('production');
      expect(config.useMocks, name).toBe(false);
      expect(config.host, name).toBe('0.0.0.0');
      // What the service itself needs to run alone in its container (docker/service.ts).
      expect(serviceProblems(name, config), name).toEqual([]);
    }
    // The mocks are not production (production refuses mocks), and say so if made one.
    const mocks = loadConfig(envOf('mocks'));
    expect(mocks.env).not.toBe('production');
    expect(serviceProblems('mocks', loadConfig(withTempFiles(envOf('gateway'))))).toEqual(['NODE_ENV=production: the mock registries never run in production']);

    // The files are really usable: the gateway verifies provider tokens with the public key
    // and signs credentials that the subgraphs' public key verifies.
    const gateway = configs.get('gateway')!;
    expect(() => UserTokenVerifier.fromConfig(gateway, loadPolicy(loadCatalogue()))).not.toThrow();
    const signing = gatewayCredentialKeys(gateway);
    const verifying = credentialVerifierFromConfig(configs.get('consent')!, signing);
    const body = Buffer.from('{"query":"{ __typename }"}');
    const claims = { requester: { institution: 'AI' as const, role: 'case-manager', subject: 's' }, requestId: 'r' };
    await expect(verifying.verify(signCredential(signing, claims, 'consent', body), 'consent', body)).resolves.toMatchObject({ requestId: 'r' });
    expect(readFileSync(configs.get('consent')!.consentSigningKeyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(readSigningKey(configs.get('consent')!.audit.signingKeyFile!).keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('mounts each service the secret files it reads, at the paths the configuration file names, and the credential private key in the gateway only', () => {
    const c = configSettings();
    const reads: Record<string, string[]> = {
      gateway: [...c.identity.issuers.map((i: { publicKeyFile: string }) => i.publicKeyFile), c.gatewayCredential.privateKeyFile],
      ...Object.fromEntries(SUBGRAPH_SERVICES.map((s) => [s, [c.consentSigningKeyFile, c.audit.signingKeyFile, ...c.gatewayCredential.publicKeyFiles]])),
      mocks: [],
    };
    for (const name of CIIGRAPH_SERVICES) {
      const mounted = (service(name).secrets ?? []).map((s) => `/run/secrets/${s}`);
      expect(mounted.sort(), name).toEqual([...reads[name]!].sort());
      for (const secret of service(name).secrets ?? []) expect(compose.secrets[secret], `${name}: ${secret}`).toBeDefined();
    }
    const holders = CIIGRAPH_SERVICES.filter((s) => service(s).secrets?.includes('gateway-credential-private-key'));
    expect(holders).toEqual(['gateway']);
    // The access log's signing key: the writers that seal (the subgraphs), never the gateway facing the outside.
    expect(CIIGRAPH_SERVICES.filter((s) => service(s).secrets?.includes('audit-signing-key'))).toEqual([...SUBGRAPH_SERVICES]);
    // Every file compose mounts is one `npm run docker:secrets` writes, in docker/secrets/ (git-ignored).
    for (const { file } of Object.values(compose.secrets)) expect(file).toMatch(new RegExp(`^\\./docker/secrets/(${Object.values(SECRET_FILES).join('|')})$`));
    expect(Object.values(compose.secrets).map((s) => s.file)).not.toContain(`./docker/secrets/${SECRET_FILES.idpPrivateKey}`);
  });

  it('gives the access log a Redis of its own that fsyncs every write, on its own volume, healthy before its writers start', () => {
    const audit = service('audit-redis');
    const command = (audit as { command?: string[] }).command?.join(' ') ?? '';
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--appendfsync always/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(audit.volumes).toEqual(['audit-redis-data:/data']);
    expect(compose.volumes).toHaveProperty('audit-redis-data');
    expect(audit.networks).toEqual(['internal']);
    expect(audit.ports).toBeUndefined();
    for (const s of [...SUBGRAPH_SERVICES, 'gateway']) expect(service(s).depends_on, s).toMatchObject({ 'audit-redis': { condition: 'service_healthy' } });
  });

  it('runs Redis with AOF persistence on a volume, never evicting, healthy before the subgraphs start', () => {
    const redis = service('redis');
    const command = (redis as { command?: string[] }).command?.join(' ') ?? '';
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const s of SUBGRAPH_SERVICES) {
      expect(service(s).depends_on, s).toMatchObject({ redis: { condition: 'service_healthy' }, mocks: { condition: 'service_healthy' } });
    }
    expect(Object.keys(service('gateway').depends_on ?? {}).sort()).toEqual(['redis', 'audit-redis', ...SUBGRAPHS].sort());
  });
});

describe('the compose topology, as in-process services on loopback', () => {
  let redis: RedisServerHandle;
  let auditRedis: RedisServerHandle;
  const running: Array<{ close(): Promise<void> }> = [];
  let gatewayUrl: string;
  let adminUrl: string;
  let loopbackConfig: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    // As compose runs it: an append-only file fsynced on every write (the writers refuse less).
    auditRedis = await startRedisServer({ appendfsync: 'always' });
    // Each compose host name becomes 127.0.0.1 on a free port; everything else is the file's.
    const ports = new Map<string, number>([['redis', redis.port], ['audit-redis', auditRedis.port]]);
    for (const name of CIIGRAPH_SERVICES) ports.set(name, await freePort());
    const adminPort = await freePort();
    // The configuration file with every compose host name on loopback.
    const file = (loopbackConfig = join(secretsDir, 'loopback.yaml'));
    writeFileSync(file, localConfigText.replace(/(https?|redis):\/\/([a-z-]+):\d+/g, (url, scheme: string, host: string) => (ports.has(host) ? `${scheme}://127.0.0.1:${ports.get(host)}` : url)));
    // Each service on its own port, by the variables that override the file.
    const local = (env: Record<string, string>, name: string) => ({
      ...env,
      ...(env.CIIGRAPH_CONFIG ? { CIIGRAPH_CONFIG: file } : {}),
      HOST: '127.0.0.1',
      [`${envPrefix(name)}_PORT`]: String(ports.get(name)),
      ADMIN_PORT: String(adminPort),
    });
    // In compose's start order: mocks, the subgraphs, then the gateway.
    for (const name of ['mocks', ...SUBGRAPHS, 'gateway'] as const) running.push(await startService(name, loadConfig(local(envOf(name), name))));
    gatewayUrl = `http://127.0.0.1:${ports.get('gateway')}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
  }, 60_000);

  afterAll(async () => {
    for (const s of running.reverse()) await s.close().catch(() => {});
    await redis?.stop();
    await auditRedis?.stop();
  });

  const idpToken = (claims: Record<string, string>) => {
    const { issuer, audience } = composeIssuer();
    return jwt.sign(claims, readFileSync(secrets.idpPrivateKey, 'utf8'), { algorithm: 'ES256', issuer, audience, subject: 'compose-test', expiresIn: 300 });
  };
  const ask = async (token: string, query: string) => {
    const res = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'cii', 'x-case-reference': 'AI-GE-2026-0815' },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
  };

  it('is ready, and serves the painter to an AI case manager with a token of the identity provider', async () => {
    const ready = await fetch(`${adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).status).toBe('ready');
    // Production: no mocks' seed, so the AI registers its case in the repertory first, as a canton's case platform would.
    const token = idpToken({ institution: 'AI', role: 'case-manager' });
    const opened = await ask(token, 'mutation { openCase(input: { avs: "756.1234.5678.97", caseReference: "AI-GE-2026-0815" }) { institution caseReference closedOn } }');
    expect(opened.body.data?.openCase).toEqual({ institution: 'AI', caseReference: 'AI-GE-2026-0815', closedOn: null });
    const r = await ask(token, '{ person(avs: "756.1234.5678.97") { disability { status caseManager } unemployment { office } } }');
    expect(r.status).toBe(200);
    expect(r.body.data?.person).toEqual({ disability: { status: 'EARLY_INTERVENTION', caseManager: 'Laura Rossi' }, unemployment: { office: 'ORP Genève – Jonction' } });
  });

  it("gives the DPO the painter's access log from Redis, written by the subgraph containers", async () => {
    const res = await fetch(`${gatewayUrl}/policy/access-log?avs=756.1234.5678.97&format=json`, {
      headers: { authorization: `Bearer ${idpToken({ institution: 'CII', role: 'dpo' })}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    // The case manager's query above was journaled by the disability subgraph, under its own mandate.
    expect(text).toContain('"subgraph":"disability"');
    expect(text).toContain('"category":"ai.file"');
  });

  it('keeps the access log in its own Redis, which npm run audit:archive seals with the key file and npm run audit:verify checks with the public key alone', async () => {
    const shared = new Redis(redis.url);
    try {
      expect(await shared.keys('ciigraph:audit:*')).toEqual([]);
    } finally {
      shared.disconnect();
    }
    const out = join(secretsDir, 'archive');
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AUDIT_|REDIS_|NODE_ENV$|CIIGRAPH_CONFIG$)/.test(k)));
    const archived = await runCommand('npx', ['tsx', 'bin/audit-archive.ts', '--out', out], { ...base, CIIGRAPH_CONFIG: loopbackConfig });
    expect(archived.stdout, archived.stderr).toMatch(/^access log archived: .* sealed through record \d+ \(checkpoint 1\)/);
    expect(archived.code).toBe(0);
    const verified = await runCommand('npx', ['tsx', 'bin/audit-verify.ts', '--archive', out], { ...base, NODE_ENV: 'production', AUDIT_REDIS_URL: auditRedis.url, AUDIT_PUBLIC_KEY_FILES: secrets.auditPublicKey });
    expect(verified.stdout).toMatch(/^access log intact: .*\n  sealed: 1 checkpoints, signatures valid[\s\S]*the live log extends it\n$/);
    expect(verified.code).toBe(0);
  }, 60_000);

  it('is production: a development (HS256) token is refused', async () => {
    const dev = jwt.sign({ institution: 'AI', role: 'case-manager' }, 'a-development-secret-of-enough-length', { algorithm: 'HS256', issuer: composeIssuer().issuer, audience: 'ciigraph', subject: 'x' });
    const r = await ask(dev, '{ person(avs: "756.1234.5678.97") { disability { status } } }');
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Nor is the development IDE (gateway/graphiql/) or its token endpoint there.
    expect((await fetch(`${gatewayUrl}/graphiql`)).status).toBe(404);
    expect((await fetch(`${gatewayUrl}/graphiql/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"institution":"AI","role":"dpo"}' })).status).toBe(404);
  });
});
