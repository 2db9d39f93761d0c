// The stack runs on Node 20 (the machines and CI have no Node 22): every installed package
// must say it runs on the Node that runs the tests. npm only warns about a package whose
// `engines.node` excludes it, so a new dependency (or a helper deep in its tree) that moved
// to Node 22 would otherwise slip in unnoticed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const semver = require('semver') as { satisfies(version: string, range: string): boolean };

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  dev?: boolean;
}
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockedPackage> };

describe('the installed packages', () => {
  it(`all admit Node ${process.versions.node} in their engines field`, () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .map(([path, p]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version, node: Array.isArray(p.engines) ? undefined : p.engines?.node }))
      .filter((p) => p.node !== undefined && !semver.satisfies(process.versions.node, p.node))
      .map((p) => `${p.name}@${p.version} wants node ${p.node}`);
    expect(refusing).toEqual([]);
  });

  it('include the pinned Hive Gateway runtime, so the check above covers its whole tree', () => {
    expect(lock.packages['node_modules/@graphql-hive/gateway-runtime']?.version).toBe('2.12.1');
  });
});
