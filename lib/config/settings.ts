// The settings of every ciigraph service, as one tree: the shape of the configuration file
// (YAML, CIIGRAPH_CONFIG) and, for each setting, the environment variable that overrides it.
// Strict: a key this schema does not name is a fault, not something silently ignored.
import { z } from 'zod';
import { DURABILITY_MODES } from '../audit/durability.ts';
import { Institution } from '../schema/catalogue.ts';

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

/** `social-assistance` → `SOCIAL_ASSISTANCE` */
export const envPrefix = (name: string) => name.toUpperCase().replaceAll('-', '_');

const Port = z.coerce.number().int().min(0).max(65535);
const HttpUrl = z.url({ protocol: /^https?$/ });
const PositiveInt = z.coerce.number().int().positive();
const File = z.string().min(1);

/** A claim's place in the token: a top-level claim name (taken literally), or the path of names into nested objects. */
const ClaimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
export type ClaimPath = z.infer<typeof ClaimPath>;

const ClaimMapping = z.strictObject({
  subject: ClaimPath.default('sub'),
  /** A string, or a list holding exactly one institution code. */
  institution: ClaimPath.default('institution'),
  /** A string, or a list (Keycloak's realm_access.roles) of which exactly one is a policy role at the institution. */
  role: ClaimPath.default('role'),
  canton: ClaimPath.default('canton'),
  /** The calling application; unset: `azp` (OIDC), else `client_id` (RFC 9068). */
  client: ClaimPath.optional(),
  purpose: ClaimPath.default('purpose'),
  caseReference: ClaimPath.default('case'),
});
export type ClaimMapping = z.infer<typeof ClaimMapping>;

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const Issuer = z
  .strictObject({
    /** The exact `iss` of its tokens. */
    issuer: z.string().min(1),
    /** The `aud` its tokens must name (one of). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Where its signing keys are published (refetched when a token names an unknown key). */
    jwksUrl: HttpUrl.optional(),
    /** Or: its public key as a PEM file, for a provider that publishes none. */
    publicKeyFile: File.optional(),
    algorithms: z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
    claims: ClaimMapping.prefault({}),
    /** Longest lifetime (exp - iat, and exp - now) of its tokens; unset: identity.maxTokenLifetimeS. */
    maxTokenLifetimeS: PositiveInt.optional(),
  })
  .refine((i) => (i.jwksUrl === undefined) !== (i.publicKeyFile === undefined), { message: 'give exactly one of jwksUrl and publicKeyFile' });
export type IssuerSettings = z.infer<typeof Issuer>;

/** Transport security of outgoing calls (registries, subgraphs): extra CA bundle, client certificate, answer size. */
const Outgoing = z
  .strictObject({
    caFile: File.optional(),
    certFile: File.optional(),
    keyFile: File.optional(),
    maxResponseBytes: PositiveInt.default(10_000_000),
  })
  .refine((o) => (o.certFile === undefined) === (o.keyFile === undefined), { message: 'certFile and keyFile go together (a client certificate and its key)' });

const RateLimit = z.strictObject({ requests: z.coerce.number().int().min(0), windowS: PositiveInt.default(60) });

const byName = <T extends z.ZodType>(names: readonly string[], value: T) =>
  z.strictObject(Object.fromEntries(names.map((n) => [n, value.optional()])) as Record<string, z.ZodOptional<T>>);

export const Settings = z.strictObject({
  env: z.enum(['development', 'production', 'test']).default('development'),
  /** The interface every service binds to. */
  host: z.string().min(1).default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ports: z
    .strictObject({
      ...(Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, Port.default(v)])) as Record<keyof typeof DEFAULT_PORTS, z.ZodDefault<typeof Port>>),
      /** The gateway's /metrics and /readyz on their own port; unset: on the gateway's port. */
      admin: Port.optional(),
    })
    .prefault({}),
  /** Where the gateway reaches each subgraph (default: HOST and its port). */
  subgraphs: byName(SUBGRAPHS, z.strictObject({ url: HttpUrl })).prefault({}),
  /** Where each institutional subgraph reaches its registry (default: the mocks; required in production). */
  registries: byName(REGISTRY_SUBGRAPHS, z.strictObject({ url: HttpUrl })).prefault({}),
  timeouts: z.strictObject({ registryMs: PositiveInt.default(3000), subgraphMs: PositiveInt.default(5000) }).prefault({}),
  limits: z
    .strictObject({
      maxCaseload: z.coerce.number().int().positive().max(10_000).default(200),
      maxDepth: z.coerce.number().int().min(2).max(100).default(10),
      maxAliases: z.coerce.number().int().min(0).max(10_000).default(30),
      maxTokens: z.coerce.number().int().min(100).max(1_000_000).default(4000),
      maxCost: PositiveInt.default(25_000),
      maxBodyBytes: z.coerce.number().int().min(1024).max(50_000_000).default(100_000),
    })
    .prefault({}),
  policyFile: File.optional(),
  redis: z
    .strictObject({
      url: z.url({ protocol: /^rediss?$/ }).optional(),
      prefix: z.string().regex(/^[\w:.-]*$/).default('ciigraph:'),
    })
    .prefault({}),
  /** The HMAC key (≥ 32 bytes, hex) the consent service signs stored consents with. */
  consentSigningKeyFile: File.optional(),
  /** Where signed consent forms are kept: a directory (development; a persistent volume in production) or Redis (default with redis.url). */
  consentForms: z
    .strictObject({
      store: z.enum(['directory', 'redis']).optional(),
      /** The directory of the directory store; default .ciigraph/consent-forms outside production, required in production. */
      directory: File.optional(),
    })
    .prefault({}),
  /** The access log: where it is kept, how durably, how it is sealed and how long Redis keeps it. */
  audit: z
    .strictObject({
      /** A Redis of its own for the log (evidence apart from operational data); unset: redis.url. */
      redis: z
        .strictObject({
          url: z.url({ protocol: /^rediss?$/ }).optional(),
          /** Unset: redis.prefix. */
          prefix: z.string().regex(/^[\w:.-]*$/).optional(),
        })
        .prefault({}),
      /** fsync: an append is acknowledged once on disk (default in production); async: as the Redis configuration gives. */
      durability: z.enum(DURABILITY_MODES).optional(),
      /** The writers' Ed25519 private key (PEM) that signs checkpoints; required in production. */
      signingKeyFile: File.optional(),
      /** More Ed25519 public keys (PEM) a verifier accepts: earlier signing keys, after a rollover. */
      publicKeyFiles: z.array(File).default([]),
      checkpoint: z
        .strictObject({
          /** The head is signed at least every this many records... */
          everyRecords: PositiveInt.default(1000),
          /** ...and every this many seconds while records are unsealed. */
          everyS: PositiveInt.default(60),
        })
        .prefault({}),
      /** Records older than this many days leave Redis once a verified archive holds them (npm run audit:archive); unset: never. */
      retentionDays: PositiveInt.optional(),
    })
    .prefault({}),
  tracing: z.strictObject({ otlpEndpoint: z.url().optional() }).prefault({}),
  identity: z
    .strictObject({
      issuers: z.array(Issuer).default([]),
      clockToleranceS: z.coerce.number().int().min(0).max(30).default(5),
      maxTokenLifetimeS: PositiveInt.max(86_400).default(3600),
      jwks: z
        .strictObject({
          /** How long fetched keys are used before they are fetched again (in the background). */
          refreshIntervalS: PositiveInt.default(300),
          /** At most one fetch per issuer this often when a token names a key not yet known. */
          minRefetchIntervalS: z.coerce.number().min(0.05).max(300).default(5),
          timeoutMs: PositiveInt.default(3000),
        })
        .prefault({}),
      /** The HS256 development issuer: outside production, and only while no issuer is configured. */
      development: z
        .strictObject({
          issuer: z.string().min(1).default('ciigraph-dev'),
          audience: z.string().min(1).default('ciigraph'),
          secretFile: File.optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  gatewayCredential: z
    .strictObject({
      /** The gateway's signing key (EC P-256 PEM); unset in a one-process stack: an ephemeral one. */
      privateKeyFile: File.optional(),
      /** Public keys the gateway publishes besides its own: the next or the previous key of a rollover. */
      publishedKeyFiles: z.array(File).default([]),
      /** A subgraph's configured set of the gateway's public keys (PEM files). */
      publicKeyFiles: z.array(File).default([]),
      /** Or: where the gateway publishes them (its /credential-keys), refetched on an unknown key. */
      jwksUrl: HttpUrl.optional(),
    })
    .prefault({}),
  frontDoor: z
    .strictObject({
      cors: z
        .strictObject({
          /** Origins of browser-based case platforms allowed to call the gateway (exact scheme://host[:port]). */
          allowedOrigins: z.array(z.url({ protocol: /^https?$/ }).refine((o) => new URL(o).origin === o, 'an origin is scheme://host[:port], nothing after it')).default([]),
          maxAgeS: z.coerce.number().int().min(0).max(86_400).default(600),
        })
        .prefault({}),
      /** Requests per client (the token's client, else its subject) per window, shared through Redis; 0: no limit. */
      rateLimit: RateLimit.extend({
        requests: z.coerce.number().int().min(0).default(0),
        /** Per-client overrides, by client id. */
        clients: z.record(z.string().min(1), RateLimit).default({}),
      }).prefault({}),
      /** Longest a client may take to send a request's headers. */
      headersTimeoutMs: PositiveInt.default(10_000),
      /** Longest a client may take to send a whole request (headers and body). */
      requestTimeoutMs: PositiveInt.default(30_000),
    })
    .prefault({}),
  outgoing: z.strictObject({ registries: Outgoing.prefault({}), subgraphs: Outgoing.prefault({}) }).prefault({}),
  notifications: z
    .strictObject({
      /** Each institution's webhook endpoint (https in production); one without reads the feed only. */
      webhooks: z.partialRecord(Institution, HttpUrl).default({}),
      /** The Ed25519 private key (PEM) webhooks are signed with; outside production a missing one is created. */
      signingKeyFile: File.optional(),
      /** The key's id, sent with each delivery, so receivers can hold the next key before a rollover. */
      keyId: z.string().regex(/^[\w.:-]{1,64}$/).default('ciigraph-notifications-1'),
      /** Attempts before a webhook delivery becomes a dead letter. */
      maxAttempts: z.coerce.number().int().min(1).max(100).default(8),
      /** The first retry's wait, doubled at each next one (at most an hour). */
      backoffMs: PositiveInt.default(1000),
      /** How often due webhook deliveries are sent. */
      webhookIntervalS: z.coerce.number().min(0.1).max(3600).default(2),
      /** How often each institutional subgraph compares its registry over the repertory's persons; 0: never (pushes only). */
      scanIntervalS: z.coerce.number().int().min(0).max(604_800).default(0),
      /** The token (hex, ≥ 32 bytes) a registry presents to push changes to its subgraph; outside production a missing one is created. */
      pushTokenFile: File.optional(),
    })
    .prefault({}),
  graphiql: z
    .strictObject({
      /** The Host names (and Origins) the development token endpoint answers to. */
      loopbackNames: z.array(z.string().min(1)).min(1).default(['localhost', '127.0.0.1', '[::1]']),
    })
    .prefault({}),
});
export type Settings = z.infer<typeof Settings>;

export { Institution };

/** How an environment variable's text becomes a setting: as it is, a comma-separated list, or JSON. */
export type EnvKind = 'text' | 'list' | 'json';
export interface EnvBinding {
  variable: string;
  path: readonly string[];
  kind: EnvKind;
}

const bind = (variable: string, path: string, kind: EnvKind = 'text'): EnvBinding => ({ variable, path: path.split('.'), kind });

/** Every setting's environment variable. A variable set (non-empty) wins over the file. */
export const ENV_BINDINGS: readonly EnvBinding[] = [
  bind('NODE_ENV', 'env'),
  bind('HOST', 'host'),
  bind('LOG_LEVEL', 'logLevel'),
  ...Object.keys(DEFAULT_PORTS).map((name) => bind(`${envPrefix(name)}_PORT`, `ports.${name}`)),
  bind('ADMIN_PORT', 'ports.admin'),
  ...SUBGRAPHS.map((s) => ({ variable: `${envPrefix(s)}_URL`, path: ['subgraphs', s, 'url'], kind: 'text' as const })),
  ...REGISTRY_SUBGRAPHS.map((s) => ({ variable: `${envPrefix(s)}_REGISTRY_URL`, path: ['registries', s, 'url'], kind: 'text' as const })),
  bind('REGISTRY_TIMEOUT_MS', 'timeouts.registryMs'),
  bind('SUBGRAPH_TIMEOUT_MS', 'timeouts.subgraphMs'),
  bind('MAX_CASELOAD', 'limits.maxCaseload'),
  bind('MAX_DEPTH', 'limits.maxDepth'),
  bind('MAX_ALIASES', 'limits.maxAliases'),
  bind('MAX_TOKENS', 'limits.maxTokens'),
  bind('MAX_COST', 'limits.maxCost'),
  bind('MAX_BODY_BYTES', 'limits.maxBodyBytes'),
  bind('POLICY_FILE', 'policyFile'),
  bind('REDIS_URL', 'redis.url'),
  bind('REDIS_PREFIX', 'redis.prefix'),
  bind('CONSENT_SIGNING_KEY_FILE', 'consentSigningKeyFile'),
  bind('CONSENT_FORM_STORE', 'consentForms.store'),
  bind('CONSENT_FORM_DIR', 'consentForms.directory'),
  bind('AUDIT_REDIS_URL', 'audit.redis.url'),
  bind('AUDIT_REDIS_PREFIX', 'audit.redis.prefix'),
  bind('AUDIT_DURABILITY', 'audit.durability'),
  bind('AUDIT_SIGNING_KEY_FILE', 'audit.signingKeyFile'),
  bind('AUDIT_PUBLIC_KEY_FILES', 'audit.publicKeyFiles', 'list'),
  bind('AUDIT_CHECKPOINT_RECORDS', 'audit.checkpoint.everyRecords'),
  bind('AUDIT_CHECKPOINT_S', 'audit.checkpoint.everyS'),
  bind('AUDIT_RETENTION_DAYS', 'audit.retentionDays'),
  bind('OTEL_EXPORTER_OTLP_ENDPOINT', 'tracing.otlpEndpoint'),
  bind('IDENTITY_ISSUERS', 'identity.issuers', 'json'),
  bind('JWT_CLOCK_TOLERANCE_S', 'identity.clockToleranceS'),
  bind('JWT_MAX_LIFETIME_S', 'identity.maxTokenLifetimeS'),
  bind('JWKS_REFRESH_INTERVAL_S', 'identity.jwks.refreshIntervalS'),
  bind('JWKS_MIN_REFETCH_INTERVAL_S', 'identity.jwks.minRefetchIntervalS'),
  bind('JWKS_TIMEOUT_MS', 'identity.jwks.timeoutMs'),
  bind('DEV_TOKEN_ISSUER', 'identity.development.issuer'),
  bind('DEV_TOKEN_AUDIENCE', 'identity.development.audience'),
  bind('DEV_TOKEN_SECRET_FILE', 'identity.development.secretFile'),
  bind('GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE', 'gatewayCredential.privateKeyFile'),
  bind('GATEWAY_CREDENTIAL_PUBLISHED_KEY_FILES', 'gatewayCredential.publishedKeyFiles', 'list'),
  bind('GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES', 'gatewayCredential.publicKeyFiles', 'list'),
  bind('GATEWAY_CREDENTIAL_JWKS_URL', 'gatewayCredential.jwksUrl'),
  bind('CORS_ALLOWED_ORIGINS', 'frontDoor.cors.allowedOrigins', 'list'),
  bind('CORS_MAX_AGE_S', 'frontDoor.cors.maxAgeS'),
  bind('RATE_LIMIT_REQUESTS', 'frontDoor.rateLimit.requests'),
  bind('RATE_LIMIT_WINDOW_S', 'frontDoor.rateLimit.windowS'),
  bind('RATE_LIMIT_CLIENTS', 'frontDoor.rateLimit.clients', 'json'),
  bind('HEADERS_TIMEOUT_MS', 'frontDoor.headersTimeoutMs'),
  bind('REQUEST_TIMEOUT_MS', 'frontDoor.requestTimeoutMs'),
  ...(['registries', 'subgraphs'] as const).flatMap((target) => {
    const v = target === 'registries' ? 'REGISTRY' : 'SUBGRAPH';
    return [
      bind(`${v}_CA_FILE`, `outgoing.${target}.caFile`),
      bind(`${v}_CERT_FILE`, `outgoing.${target}.certFile`),
      bind(`${v}_KEY_FILE`, `outgoing.${target}.keyFile`),
      bind(`${v}_MAX_RESPONSE_BYTES`, `outgoing.${target}.maxResponseBytes`),
    ];
  }),
  bind('GRAPHIQL_LOOPBACK_NAMES', 'graphiql.loopbackNames', 'list'),
  bind('NOTIFICATION_WEBHOOKS', 'notifications.webhooks', 'json'),
  bind('NOTIFICATION_SIGNING_KEY_FILE', 'notifications.signingKeyFile'),
  bind('NOTIFICATION_KEY_ID', 'notifications.keyId'),
  bind('NOTIFICATION_MAX_ATTEMPTS', 'notifications.maxAttempts'),
  bind('NOTIFICATION_BACKOFF_MS', 'notifications.backoffMs'),
  bind('NOTIFICATION_WEBHOOK_INTERVAL_S', 'notifications.webhookIntervalS'),
  bind('NOTIFICATION_SCAN_INTERVAL_S', 'notifications.scanIntervalS'),
  bind('REGISTRY_PUSH_TOKEN_FILE', 'notifications.pushTokenFile'),
];

/** Variables of earlier versions whose meaning changed: set, they stop the start instead of being ignored. */
export const RETIRED_VARIABLES: Record<string, string> = {
  JWT_PUBLIC_KEY_FILE: 'identity providers are configured as identity.issuers (IDENTITY_ISSUERS), each with its jwksUrl or publicKeyFile',
  JWT_ISSUER: 'the identity provider\'s issuer is identity.issuers[].issuer (IDENTITY_ISSUERS); the development issuer\'s is DEV_TOKEN_ISSUER',
  JWT_AUDIENCE: 'identity.issuers[].audience (IDENTITY_ISSUERS); the development issuer\'s is DEV_TOKEN_AUDIENCE',
  GATEWAY_CREDENTIAL_PUBLIC_KEY_FILE: 'a subgraph\'s gateway keys are gatewayCredential.publicKeyFiles (GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES, a list) or gatewayCredential.jwksUrl',
};
