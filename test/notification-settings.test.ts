// Notification settings (issue 23): the canton example sets them for production; production
// refuses webhooks without a signing key or over plain http; the embedded defaults send none
// and compare on no schedule.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.ts';

const EXAMPLE = fileURLToPath(new URL('../config/canton.example.yaml', import.meta.url));

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('notification settings', () => {
  it('are read from the canton example', () => {
    const c = loadConfig({ CIIGRAPH_CONFIG: EXAMPLE });
    expect(c.notifications).toMatchObject({
      webhooks: { AS: 'https://dossier-hg.ge.internal/ciigraph/notifications' },
      signingKeyFile: '/run/secrets/notification-signing-key.pem',
      keyId: 'ge-notifications-2026',
      scanIntervalMs: 3_600_000,
      pushTokenFile: '/run/secrets/registry-push-token',
      maxAttempts: 8,
    });
  });
  it('in production, refuse webhooks without a signing key or over http', () => {
    expect(refusal({ CIIGRAPH_CONFIG: EXAMPLE, NOTIFICATION_WEBHOOKS: JSON.stringify({ AC: 'http://orp.example/hook' }) })).toMatch(/notifications\.webhooks\.AC \(NOTIFICATION_WEBHOOKS\): https only in production/);
    expect(refusal({ NODE_ENV: 'production', NOTIFICATION_WEBHOOKS: JSON.stringify({ AS: 'https://hg.example/hook' }) })).toMatch(/notifications\.signingKeyFile \(NOTIFICATION_SIGNING_KEY_FILE\): required in production when webhooks are set/);
  });
  it('by default send no webhook and compare on no schedule; variables win', () => {
    const c = loadConfig({ NODE_ENV: 'test' });
    expect(c.notifications.webhooks).toEqual({});
    expect(c.notifications.scanIntervalMs).toBe(0);
    const d = loadConfig({ NODE_ENV: 'test', NOTIFICATION_SCAN_INTERVAL_S: '60', NOTIFICATION_MAX_ATTEMPTS: '3', NOTIFICATION_WEBHOOKS: '{"PC":"http://127.0.0.1:9/h"}' });
    expect([d.notifications.scanIntervalMs, d.notifications.maxAttempts, d.notifications.webhooks]).toEqual([60_000, 3, { PC: 'http://127.0.0.1:9/h' }]);
    expect(refusal({ NODE_ENV: 'test', NOTIFICATION_WEBHOOKS: '{"XX":"http://a.example"}' })).toMatch(/notifications\.webhooks/);
  });
});
