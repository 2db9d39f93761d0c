// Configuration of every service, read from the environment and validated with zod at start.
// The embedded defaults run the whole stack on one machine (CONTRACT.md section 1).
import { z } from 'zod';
import { StartupError } from './errors.ts';

export const SUBGRAPHS = ['unemployment', 'disability', 'social-assistance', 'supplementary-benefits', 'consent'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/** The four subgraphs that front an institution's registry. */
export const REGISTRY_SUBGRAPHS = ['unemployment', 'disability', 'social-assistance', 'supplementary-benefits'] as const;
export type RegistrySubgraphName = (typeof REGISTRY_SUBGRAPHS)[number];

export const DEFAULT_PORTS: Record<'gateway' | SubgraphName | 'mocks', number> = {
  gateway: 4000,
  unemployment: 4001,
  disability: 4002,
  'social-assistance': 4003,
  'supplementary-benefits': 4004,
  consent: 4005,
  mocks: 4010,
};

/** Each registry's path under the mock server (and the default path of its base URL). */
export const REGISTRY_PATHS: Record<RegistrySubgraphName, string> = {
  unemployment: '/plasta',
  disability: '/ai-files',
  'social-assistance': '/social-assistance',
  'supplementary-benefits': '/pc',
};

/** `social-assistance` → `SOCIAL_ASSISTANCE` */
export const envPrefix = (name: string) => name.toUpperCase().replaceAll('-', '_');

const Port = z.coerce.number().int().min(0).max(65535);
const Url = z.url({ protocol: /^https?$/ });
const PositiveMs = z.coerce.number().int().positive();

const RawEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REGISTRY_TIMEOUT_MS: PositiveMs.default(3000),
  SUBGRAPH_TIMEOUT_MS: PositiveMs.default(5000),
  MAX_CASELOAD: z.coerce.number().int().positive().max(10_000).default(200),
  MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(10),
  MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(4000),
  MAX_COST: z.coerce.number().int().positive().default(25_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(50_000_000).default(100_000),
  POLICY_FILE: z.string().min(1).optional(),
  /** Read by lib/log.ts before any configuration; validated here. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Opt-in tracing: the OTLP/HTTP endpoint spans are exported to (lib/observability/tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).default('ciigraph'),
  /** PEM file of the identity provider's public key (RS256 or ES256); production only. */
  JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(30).default(5),
  DEV_TOKEN_SECRET_FILE: z.string().min(1).optional(),
  /** PEM files of the gateway → subgraph credential key pair (gateway: private; subgraphs: public). */
  GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  /** Key prefix of everything ciigraph keeps in Redis. */
  REDIS_PREFIX: z.string().regex(/^[\w:.-]*$/).default('ciigraph:'),
  /** The HMAC key (≥ 32 bytes, hex) the consent service signs stored consents with. */
  CONSENT_SIGNING_KEY_FILE: z.string().min(1).optional(),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  redisUrl: string | undefined;
  ports: Record<'gateway' | SubgraphName | 'mocks', number>;
  /** Where the gateway reaches each subgraph. */
  subgraphUrls: Record<SubgraphName, string>;
  /** Where each institutional subgraph reaches its registry. */
  registryUrls: Record<RegistrySubgraphName, string>;
  /** True when registryUrls point at the embedded mocks (never in production). */
  useMocks: boolean;
  registryTimeoutMs: number;
  subgraphTimeoutMs: number;
  maxCaseload: number;
  limits: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number; maxBodyBytes: number };
  policyFile: string | undefined;
  auth: {
    issuer: string;
    audience: string;
    /** Production: the identity provider's public key file. Development: unset, HS256 dev tokens. */
    publicKeyFile: string | undefined;
    clockToleranceS: number;
    devSecretFile: string;
  };
  credentialKeyFiles: { privateKey: string | undefined; publicKey: string | undefined };
  redisPrefix: string;
  consentSigningKeyFile: string;
}

export const DEFAULT_DEV_SECRET_FILE = new URL('../.ciigraph/dev-token-secret', import.meta.url).pathname;
export const DEV_ISSUER = 'ciigraph-dev';
export const DEFAULT_CONSENT_SIGNING_KEY_FILE = new URL('../.ciigraph/consent-signing-key', import.meta.url).pathname;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const raw = RawEnv.safeParse(env);
  if (!raw.success) throw new StartupError('environment', raw.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const base = raw.data;

  const port = (name: keyof typeof DEFAULT_PORTS): number => {
    const key = `${envPrefix(name)}_PORT`;
    const r = Port.safeParse(env[key] ?? DEFAULT_PORTS[name]);
    if (!r.success) problems.push(`${key}: not a port number`);
    return r.success ? r.data : DEFAULT_PORTS[name];
  };
  const url = (key: string, fallback: string | undefined): string => {
    const value = env[key] ?? fallback;
    if (value === undefined) {
      problems.push(`${key}: required`);
      return '';
    }
    const r = Url.safeParse(value);
    if (!r.success) problems.push(`${key}: not an http(s) URL`);
    return value.replace(/\/$/, '');
  };

  const ports = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((k) => [k, port(k as keyof typeof DEFAULT_PORTS)])) as Config['ports'];
  const local = (p: number) => `http://${base.HOST.includes(':') ? `[${base.HOST}]` : base.HOST}:${p}`;
  const production = base.NODE_ENV === 'production';

  const subgraphUrls = Object.fromEntries(
    SUBGRAPHS.map((s) => [s, url(`${envPrefix(s)}_URL`, `${local(ports[s])}/graphql`)]),
  ) as Config['subgraphUrls'];
  const useMocks = !REGISTRY_SUBGRAPHS.some((s) => env[`${envPrefix(s)}_REGISTRY_URL`]);
  const registryUrls = Object.fromEntries(
    REGISTRY_SUBGRAPHS.map((s) => [
      s,
      url(`${envPrefix(s)}_REGISTRY_URL`, production ? undefined : `${local(ports.mocks)}${REGISTRY_PATHS[s]}`),
    ]),
  ) as Config['registryUrls'];

  if (production && !base.REDIS_URL) problems.push('REDIS_URL: required in production (consents and the access log must be shared and durable)');
  if (production && !base.JWT_PUBLIC_KEY_FILE) problems.push('JWT_PUBLIC_KEY_FILE: required in production (the identity provider\'s public key; development tokens are refused)');
  if (production && !base.JWT_ISSUER) problems.push('JWT_ISSUER: required in production');
  if (production && !base.CONSENT_SIGNING_KEY_FILE) problems.push('CONSENT_SIGNING_KEY_FILE: required in production (stored consents are signed)');
  if (production && !base.GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE && !base.GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE) {
    problems.push('GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE (gateway) or GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE (subgraph): required in production');
  }
  if (problems.length) throw new StartupError('environment', problems);

  return {
    env: base.NODE_ENV,
    host: base.HOST,
    redisUrl: base.REDIS_URL,
    ports,
    subgraphUrls,
    registryUrls,
    useMocks: !production && useMocks,
    registryTimeoutMs: base.REGISTRY_TIMEOUT_MS,
    subgraphTimeoutMs: base.SUBGRAPH_TIMEOUT_MS,
    maxCaseload: base.MAX_CASELOAD,
    limits: {
      maxDepth: base.MAX_DEPTH,
      maxAliases: base.MAX_ALIASES,
      maxTokens: base.MAX_TOKENS,
      maxCost: base.MAX_COST,
      maxBodyBytes: base.MAX_BODY_BYTES,
    },
    policyFile: base.POLICY_FILE,
    auth: {
      issuer: base.JWT_ISSUER ?? DEV_ISSUER,
      audience: base.JWT_AUDIENCE,
      publicKeyFile: base.JWT_PUBLIC_KEY_FILE,
      clockToleranceS: base.JWT_CLOCK_TOLERANCE_S,
      devSecretFile: base.DEV_TOKEN_SECRET_FILE ?? DEFAULT_DEV_SECRET_FILE,
    },
    credentialKeyFiles: {
      privateKey: base.GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE,
      publicKey: base.GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE,
    },
    redisPrefix: base.REDIS_PREFIX,
    consentSigningKeyFile: base.CONSENT_SIGNING_KEY_FILE ?? DEFAULT_CONSENT_SIGNING_KEY_FILE,
  };
}
