// Configuration of every service: the settings tree (lib/config/settings.ts) read from the
// configuration file and the environment (lib/config/layers.ts), checked as a whole, and
// turned into what the services use. The embedded defaults run the whole stack on one
// machine (CONTRACT.md section 1); production refuses to start without its real parts.
import { StartupError } from './errors.ts';
import type { Institution } from './schema/catalogue.ts';
import { loadSettings } from './config/layers.ts';
import {
  DEFAULT_PORTS,
  envPrefix,
  REGISTRY_SUBGRAPHS,
  SUBGRAPHS,
  type ClaimMapping,
  type RegistrySubgraphName,
  type Settings,
  type SubgraphName,
} from './config/settings.ts';
import type { DurabilityMode } from './audit/durability.ts';

export { DEFAULT_PORTS, envPrefix, REGISTRY_SUBGRAPHS, SUBGRAPHS, type ClaimPath, type RegistrySubgraphName, type SubgraphName } from './config/settings.ts';
export { CONFIG_FILE_VARIABLE } from './config/layers.ts';

/** Each registry's path under the mock server (and the default path of its base URL). */
export const REGISTRY_PATHS: Record<RegistrySubgraphName, string> = {
  unemployment: '/plasta',
  disability: '/ai-files',
  'social-assistance': '/social-assistance',
  'supplementary-benefits': '/pc',
};

/** An identity provider whose tokens the gateway accepts. */
export interface IssuerConfig {
  issuer: string;
  audience: string[];
  keys: { jwksUrl: string } | { publicKeyFile: string };
  algorithms: string[];
  claims: ClaimMapping;
  maxTokenLifetimeS: number;
}

/** Extra CA bundle, client certificate (mutual TLS) and answer-size cap of outgoing calls. */
export interface OutgoingTls {
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  maxResponseBytes: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  /** The configuration file read, if any. */
  file: string | undefined;
  host: string;
  logLevel: Settings['logLevel'];
  otlpEndpoint: string | undefined;
  redisUrl: string | undefined;
  ports: Record<'gateway' | SubgraphName | 'mocks', number> & { admin?: number | undefined };
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
    /** The identity providers; none: the development issuer (outside production only). */
    issuers: IssuerConfig[];
    /** The development issuer's iss and aud. */
    issuer: string;
    audience: string;
    clockToleranceS: number;
    devSecretFile: string;
    jwks: { refreshIntervalMs: number; minRefetchIntervalMs: number; timeoutMs: number };
  };
  credential: {
    privateKeyFile?: string | undefined;
    publishedKeyFiles: string[];
    publicKeyFiles: string[];
    jwksUrl?: string | undefined;
  };
  frontDoor: {
    corsOrigins: string[];
    corsMaxAgeS: number;
    rateLimit: { requests: number; windowS: number; clients: Record<string, { requests: number; windowS: number }> };
    headersTimeoutMs: number;
    requestTimeoutMs: number;
  };
  outgoing: { registries: OutgoingTls; subgraphs: OutgoingTls };
  graphiql: { loopbackNames: string[] };
  redisPrefix: string;
  consentSigningKeyFile: string;
  /** Where signed consent forms are kept. */
  consentForms: { store: 'directory'; directory: string } | { store: 'redis' };
  notifications: {
    webhooks: Partial<Record<Institution, string>>;
    signingKeyFile: string;
    keyId: string;
    maxAttempts: number;
    backoffMs: number;
    webhookIntervalMs: number;
    /** 0: no scheduled comparison. */
    scanIntervalMs: number;
    pushTokenFile: string;
  };
  audit: AuditConfig;
}

/** The access log's settings (lib/audit/). */
export interface AuditConfig {
  /** The log's Redis: audit.redis.url, else redis.url; unset: in memory. */
  redisUrl: string | undefined;
  redisPrefix: string;
  /** True when the log has a Redis of its own (AUDIT_REDIS_URL). */
  separateRedis: boolean;
  durability: DurabilityMode;
  /** Unset outside production: an ephemeral development key. */
  signingKeyFile: string | undefined;
  publicKeyFiles: string[];
  checkpoint: { everyRecords: number; everyMs: number };
  retentionDays: number | undefined;
  /** Outside production: where the public halves of ephemeral development keys are kept, so a verifier can check what they signed. */
  developmentKeysDir: string;
}

export const DEFAULT_DEV_SECRET_FILE = new URL('../.ciigraph/dev-token-secret', import.meta.url).pathname;
export const DEV_ISSUER = 'ciigraph-dev';
export const DEFAULT_CONSENT_SIGNING_KEY_FILE = new URL('../.ciigraph/consent-signing-key', import.meta.url).pathname;
export const DEFAULT_CONSENT_FORM_DIR = new URL('../.ciigraph/consent-forms', import.meta.url).pathname;
export const DEFAULT_NOTIFICATION_SIGNING_KEY_FILE = new URL('../.ciigraph/notification-signing-key.pem', import.meta.url).pathname;
export const DEFAULT_REGISTRY_PUSH_TOKEN_FILE = new URL('../.ciigraph/registry-push-token', import.meta.url).pathname;
export const DEVELOPMENT_AUDIT_KEYS_DIR = new URL('../.ciigraph/audit-development-keys', import.meta.url).pathname;

/** The access log's settings from the settings tree, without the production checks (the audit commands read them this way too). */
export function auditConfig(s: Settings): AuditConfig {
  const production = s.env === 'production';
  return {
    redisUrl: s.audit.redis.url ?? s.redis.url,
    redisPrefix: s.audit.redis.prefix ?? s.redis.prefix,
    separateRedis: s.audit.redis.url !== undefined,
    durability: s.audit.durability ?? (production ? 'fsync' : 'async'),
    signingKeyFile: s.audit.signingKeyFile,
    publicKeyFiles: s.audit.publicKeyFiles,
    checkpoint: { everyRecords: s.audit.checkpoint.everyRecords, everyMs: s.audit.checkpoint.everyS * 1000 },
    retentionDays: s.audit.retentionDays,
    developmentKeysDir: DEVELOPMENT_AUDIT_KEYS_DIR,
  };
}

const stripSlash = (url: string) => url.replace(/\/$/, '');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { settings: s, file } = loadSettings(env);
  const production = s.env === 'production';
  const problems: string[] = [];
  const local = (p: number) => `http://${s.host.includes(':') ? `[${s.host}]` : s.host}:${p}`;

  const subgraphUrls = Object.fromEntries(
    SUBGRAPHS.map((name) => [name, stripSlash(s.subgraphs[name]?.url ?? `${local(s.ports[name])}/graphql`)]),
  ) as Config['subgraphUrls'];
  const useMocks = !REGISTRY_SUBGRAPHS.some((name) => s.registries[name]);
  const registryUrls = Object.fromEntries(
    REGISTRY_SUBGRAPHS.map((name) => {
      const url = s.registries[name]?.url;
      if (url === undefined && production) problems.push(`registries.${name}.url (${envPrefix(name)}_REGISTRY_URL): required in production`);
      return [name, stripSlash(url ?? `${local(s.ports.mocks)}${REGISTRY_PATHS[name]}`)];
    }),
  ) as Config['registryUrls'];

  if (production) {
    if (!s.redis.url) problems.push('redis.url (REDIS_URL): required in production (consents and the access log must be shared and durable)');
    if (!s.identity.issuers.length) problems.push('identity.issuers (IDENTITY_ISSUERS): at least one identity provider is required in production (development tokens are refused)');
    if (!s.consentSigningKeyFile) problems.push('consentSigningKeyFile (CONSENT_SIGNING_KEY_FILE): required in production (stored consents are signed)');
    if (s.consentForms.store === 'directory' && !s.consentForms.directory) {
      problems.push('consentForms.directory (CONSENT_FORM_DIR): required in production with the directory store (a persistent volume), or consentForms.store (CONSENT_FORM_STORE) redis');
    }
    if (!s.audit.signingKeyFile) problems.push('audit.signingKeyFile (AUDIT_SIGNING_KEY_FILE): required in production (the access log\'s checkpoints are signed with it)');
    if (s.audit.durability === 'async') problems.push('audit.durability (AUDIT_DURABILITY): async is refused in production (an append is acknowledged only once it is on disk: fsync)');
    const c = s.gatewayCredential;
    if (!c.privateKeyFile && !c.publicKeyFiles.length && !c.jwksUrl) {
      problems.push('gatewayCredential.privateKeyFile (GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE; gateway) or gatewayCredential.jwksUrl / publicKeyFiles (GATEWAY_CREDENTIAL_JWKS_URL / GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES; subgraph): required in production');
    }
  }
  if (s.consentForms.store === 'redis' && !s.redis.url) problems.push('consentForms.store (CONSENT_FORM_STORE) redis: needs redis.url (REDIS_URL)');
  if (production && Object.keys(s.notifications.webhooks).length && !s.notifications.signingKeyFile) {
    problems.push('notifications.signingKeyFile (NOTIFICATION_SIGNING_KEY_FILE): required in production when webhooks are set (deliveries are signed)');
  }
  if (production) {
    for (const [institution, url] of Object.entries(s.notifications.webhooks)) {
      if (!url!.startsWith('https:')) problems.push(`notifications.webhooks.${institution} (NOTIFICATION_WEBHOOKS): https only in production`);
    }
  }
  if (problems.length) throw new StartupError(file ?? 'environment', problems);

  const formStore = s.consentForms.store ?? (s.redis.url ? 'redis' : 'directory');
  const outgoing = (o: Settings['outgoing']['registries']): OutgoingTls => ({ caFile: o.caFile, certFile: o.certFile, keyFile: o.keyFile, maxResponseBytes: o.maxResponseBytes });
  return {
    env: s.env,
    file,
    host: s.host,
    logLevel: s.logLevel,
    otlpEndpoint: s.tracing.otlpEndpoint,
    redisUrl: s.redis.url,
    ports: { ...s.ports },
    subgraphUrls,
    registryUrls,
    useMocks: !production && useMocks,
    registryTimeoutMs: s.timeouts.registryMs,
    subgraphTimeoutMs: s.timeouts.subgraphMs,
    maxCaseload: s.limits.maxCaseload,
    limits: {
      maxDepth: s.limits.maxDepth,
      maxAliases: s.limits.maxAliases,
      maxTokens: s.limits.maxTokens,
      maxCost: s.limits.maxCost,
      maxBodyBytes: s.limits.maxBodyBytes,
    },
    policyFile: s.policyFile,
    auth: {
      issuers: s.identity.issuers.map((i) => ({
        issuer: i.issuer,
        audience: typeof i.audience === 'string' ? [i.audience] : i.audience,
        keys: i.jwksUrl ? { jwksUrl: i.jwksUrl } : { publicKeyFile: i.publicKeyFile! },
        algorithms: i.algorithms,
        claims: i.claims,
        maxTokenLifetimeS: i.maxTokenLifetimeS ?? s.identity.maxTokenLifetimeS,
      })),
      issuer: s.identity.development.issuer,
      audience: s.identity.development.audience,
      clockToleranceS: s.identity.clockToleranceS,
      devSecretFile: s.identity.development.secretFile ?? DEFAULT_DEV_SECRET_FILE,
      jwks: {
        refreshIntervalMs: s.identity.jwks.refreshIntervalS * 1000,
        minRefetchIntervalMs: Math.round(s.identity.jwks.minRefetchIntervalS * 1000),
        timeoutMs: s.identity.jwks.timeoutMs,
      },
    },
    credential: { ...s.gatewayCredential },
    frontDoor: {
      corsOrigins: s.frontDoor.cors.allowedOrigins,
      corsMaxAgeS: s.frontDoor.cors.maxAgeS,
      rateLimit: s.frontDoor.rateLimit,
      headersTimeoutMs: s.frontDoor.headersTimeoutMs,
      requestTimeoutMs: s.frontDoor.requestTimeoutMs,
    },
    outgoing: { registries: outgoing(s.outgoing.registries), subgraphs: outgoing(s.outgoing.subgraphs) },
    graphiql: { loopbackNames: s.graphiql.loopbackNames },
    redisPrefix: s.redis.prefix,
    consentSigningKeyFile: s.consentSigningKeyFile ?? DEFAULT_CONSENT_SIGNING_KEY_FILE,
    consentForms: formStore === 'redis' ? { store: 'redis' } : { store: 'directory', directory: s.consentForms.directory ?? DEFAULT_CONSENT_FORM_DIR },
    notifications: {
      webhooks: { ...s.notifications.webhooks },
      signingKeyFile: s.notifications.signingKeyFile ?? DEFAULT_NOTIFICATION_SIGNING_KEY_FILE,
      keyId: s.notifications.keyId,
      maxAttempts: s.notifications.maxAttempts,
      backoffMs: s.notifications.backoffMs,
      webhookIntervalMs: Math.round(s.notifications.webhookIntervalS * 1000),
      scanIntervalMs: s.notifications.scanIntervalS * 1000,
      pushTokenFile: s.notifications.pushTokenFile ?? DEFAULT_REGISTRY_PUSH_TOKEN_FILE,
    },
    audit: auditConfig(s),
  };
}
