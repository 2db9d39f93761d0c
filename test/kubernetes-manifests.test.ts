// deploy/kubernetes/ against the Kubernetes API schemas and against the code: every object is
// valid for its kind (kubernetes-models' JSON-schema validation); the kustomization applies
// every manifest and generates exactly the secrets the pods mount, from the files
// npm run docker:secrets writes; the gateway and the five subgraphs each run from the image on
// their default port, with startup, liveness and readiness probes, resource requests and
// limits, a restricted security context, only the key files they read, and an environment
// that is a complete production configuration; subgraphs are reachable from the gateway only;
// Redis and the access log's own Redis (AUDIT_REDIS_URL) are persistent (appendonly yes,
// appendfsync always, noeviction, on a volume), reachable from ciigraph's pods only, and a
// real redis-server accepts each one's configuration file; the access log's signing key is
// mounted in the subgraphs, never in the gateway.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { DEFAULT_PORTS, envPrefix, loadConfig, SUBGRAPHS } from '../lib/config.ts';
import { SECRET_FILES, writeSecrets } from '../docker/secrets.ts';
import { serviceProblems } from '../docker/service.ts';
import { freePort, waitFor } from './support/ports.ts';

const DIR = fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url));
const MODELS = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
} as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}
const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
  secretGenerator: Array<{ name: string; namespace: string; files: string[] }>;
};
const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const objects: Array<K8sObject & { file: string }> = manifests.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { ...(doc.toJS() as K8sObject), file };
  }),
);
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const SERVICES = ['gateway', ...SUBGRAPHS] as const;
const configMap = find('ConfigMap', 'ciigraph-config').data as Record<string, string>;
const container = (name: string) => find('Deployment', name).spec.template.spec.containers[0];

const scratch = mkdtempSync(join(tmpdir(), 'ciigraph-k8s-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/kubernetes', () => {
  it('holds only objects valid against the Kubernetes API schema of their kind, all in the ciigraph namespace', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}` as keyof typeof MODELS];
      expect(Model, `${o.file}: ${o.apiVersion} ${o.kind} is not a kind this test validates`).toBeDefined();
      const { file: _file, ...object } = o;
      expect(() => new Model(object as never).validate(), `${o.file}: ${o.kind} ${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('ciigraph');
    }
  });

  it('the validation itself refuses a malformed object', () => {
    const broken = structuredClone(find('Deployment', 'gateway')) as K8sObject;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'four thousand';
    const { file: _file, ...object } = broken;
    expect(() => new Deployment(object as never).validate()).toThrow();
  });

  it('is applied whole by its kustomization, which generates exactly the secrets the pods mount, from the files npm run docker:secrets writes', () => {
    expect([...kustomization.resources].sort()).toEqual(manifests);
    const generated = new Map(kustomization.secretGenerator.map((g) => [g.name, g.files.map((f) => f.split('=')[0])]));
    for (const g of kustomization.secretGenerator) {
      for (const f of g.files) expect(Object.values(SECRET_FILES) as string[], f).toContain(f.split('=')[1]!.replace('secrets/', ''));
    }
    const mounted = new Map<string, string>();
    for (const o of objects.filter((x) => x.kind === 'Deployment')) {
      for (const v of o.spec.template.spec.volumes) if (v.secret) mounted.set(o.metadata.name, v.secret.secretName);
    }
    expect(new Set(mounted.values())).toEqual(new Set(generated.keys()));
    expect(readFileSync(join(DIR, '.gitignore'), 'utf8')).toContain('secrets/');
  });

  it('runs the gateway and each subgraph from the image on its default port, with probes, resources and a restricted security context', () => {
    for (const name of SERVICES) {
      const d = find('Deployment', name);
      const c = container(name);
      const port = DEFAULT_PORTS[name];
      expect(c.args, name).toEqual([name]);
      expect(c.image, name).toMatch(/^ciigraph:/);
      expect(c.ports, name).toEqual([{ name: 'http', containerPort: port }]);
      expect(configMap[`${envPrefix(name)}_PORT`], name).toBe(String(port));
      expect(c.startupProbe.httpGet.path, name).toBe('/healthz');
      expect(c.livenessProbe.httpGet.path, name).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path, name).toBe(name === 'gateway' ? '/readyz' : '/healthz');
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) expect(probe.httpGet.port, name).toBe('http');
      for (const kind of ['requests', 'limits']) expect(Object.keys(c.resources[kind]).sort(), `${name} ${kind}`).toEqual(['cpu', 'memory']);
      expect(c.securityContext, name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(d.spec.template.spec.securityContext.runAsNonRoot, name).toBe(true);
      expect(d.spec.template.spec.automountServiceAccountToken, name).toBe(false);
      expect(d.spec.replicas, name).toBeGreaterThanOrEqual(2);
      // Longer than the servers' 10 s drain.
      expect(d.spec.template.spec.terminationGracePeriodSeconds, name).toBeGreaterThan(10);
      const svc = find('Service', name);
      expect(svc.spec.ports, name).toEqual([{ name: 'http', port, targetPort: 'http' }]);
      expect(configMap[`${envPrefix(name)}_URL`] ?? `http://${name}:${port}/graphql`, name).toBe(`http://${name}:${port}/graphql`);
    }
    expect(find('Service', 'gateway').spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });

  it('gives each service a complete production configuration and only the key files it reads: the private credential key to the gateway alone', () => {
    const secretsDir = join(scratch, 'secrets');
    const files = writeSecrets(secretsDir);
    const byName = new Map<string, string>(Object.entries(SECRET_FILES).map(([k, f]) => [f, files[k as keyof typeof files]]));
    const mountedFiles = (name: string) => {
      const secretName = find('Deployment', name).spec.template.spec.volumes.find((v: any) => v.secret).secret.secretName;
      return kustomization.secretGenerator.find((g) => g.name === secretName)!.files.map((f) => f.split('=')[0]!);
    };
    for (const name of SERVICES) {
      const c = container(name);
      const mount = c.volumeMounts.find((m: any) => m.name === 'secrets').mountPath as string;
      const env: Record<string, string> = { ...configMap, ...Object.fromEntries(c.env.map((e: any) => [e.name, e.value])) };
      // Every key file the service's configuration names that it reads is mounted; the paths resolve to real files.
      const issuerKey = (JSON.parse(env.IDENTITY_ISSUERS!) as { publicKeyFile: string }[])[0]!.publicKeyFile;
      const read = name === 'gateway' ? [issuerKey, env.GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE!] : [env.GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES!, env.CONSENT_SIGNING_KEY_FILE!, env.AUDIT_SIGNING_KEY_FILE!];
      for (const path of read) expect(mountedFiles(name), `${name} ${path}`).toContain(path.slice(mount.length + 1));
      // The files as the test wrote them, where the manifests name the mounted paths.
      const local = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replaceAll(new RegExp(`${mount.replaceAll('/', '\\/')}/([\\w.-]+)`, 'g'), (_, f: string) => byName.get(f) ?? `${mount}/${f}`)]),
      );
      const config = loadConfig(local);
      expect(config.env).toBe('production');
      expect(config.useMocks).toBe(false);
      expect(serviceProblems(name, config), name).toEqual([]);
      if (name !== 'gateway') {
        expect(mountedFiles(name), name).not.toContain('gateway-credential-private-key.pem');
        expect(env.GATEWAY_CREDENTIAL_PRIVATE_KEY_FILE, name).toBeUndefined();
      } else {
        expect(mountedFiles(name)).not.toContain('consent-signing-key');
        expect(mountedFiles(name)).not.toContain('audit-signing-key.pem');
      }
      expect(config.audit, name).toMatchObject({ redisUrl: 'redis://audit-redis:6379', separateRedis: true, durability: 'fsync', signingKeyFile: local.AUDIT_SIGNING_KEY_FILE });
    }
  });

  it('lets only the gateway reach the subgraphs, and only ciigraph reach Redis', () => {
    expect(find('NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const subgraphs = find('NetworkPolicy', 'subgraphs-from-the-gateway').spec;
    expect(subgraphs.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/component': 'subgraph' });
    expect(subgraphs.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'gateway' } } }] }]);
    for (const name of SUBGRAPHS) expect(find('Deployment', name).spec.template.metadata.labels['app.kubernetes.io/component'], name).toBe('subgraph');
    expect(find('Deployment', 'gateway').spec.template.metadata.labels['app.kubernetes.io/component']).toBe('gateway');
    for (const redis of ['redis', 'audit-redis']) {
      const policy = find('NetworkPolicy', `${redis}-from-ciigraph`).spec;
      expect(policy.podSelector.matchLabels, redis).toEqual({ 'app.kubernetes.io/name': redis });
      expect(policy.ingress[0].ports, redis).toEqual([{ port: 6379 }]);
      expect(policy.ingress[0].from[0].podSelector.matchExpressions[0].values, redis).toEqual(['gateway', 'subgraph']);
    }
    expect(configMap.REDIS_URL).toBe('redis://redis:6379');
    expect(configMap.AUDIT_REDIS_URL).toBe('redis://audit-redis:6379');
  });

  it.each(['redis', 'audit-redis'])('runs %s persistent: appendonly yes, appendfsync always, noeviction, on a volume claim', (name) => {
    const redis = find('StatefulSet', name);
    const conf = find('ConfigMap', `${name}-config`).data['redis.conf'] as string;
    const directives = new Map(conf.trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]));
    expect(directives.get('appendonly')).toBe('yes');
    expect(directives.get('appendfsync')).toBe('always');
    expect(directives.get('maxmemory-policy')).toBe('noeviction');
    const c = redis.spec.template.spec.containers[0];
    expect(c.command).toEqual(['redis-server', '/etc/redis/redis.conf']);
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: directives.get('dir') }]));
    expect(redis.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data']);
    expect(c.resources.limits.memory).toBeDefined();
    expect(find('Service', name).spec.ports[0].port).toBe(6379);
    expect(redis.spec.template.spec.volumes.find((v: any) => v.name === 'config').configMap.name).toBe(`${name}-config`);
  });

  it.each(['redis', 'audit-redis'])('gives %s a configuration file a real redis-server runs with', async (name) => {
    const conf = find('ConfigMap', `${name}-config`).data['redis.conf'] as string;
    const port = await freePort();
    const file = join(scratch, `${name}.conf`);
    // The same file, on loopback and a scratch directory instead of the pod's.
    writeFileSync(file, `${conf.replace(/^bind .*$/m, 'bind 127.0.0.1').replace(/^port .*$/m, `port ${port}`).replace(/^dir .*$/m, `dir ${scratch}`)}\n`);
    const server = spawn('redis-server', [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (d) => (out += d));
    server.stderr.on('data', (d) => (out += d));
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused connections while it starts are expected; the waitFor below retries them.
    redis.on('error', () => {});
    try {
      await waitFor(async () => ((await redis.connect().then(() => true, () => undefined)) ? true : undefined), 10_000, `redis-server with the manifest's configuration (${out})`);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      redis.disconnect();
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});
