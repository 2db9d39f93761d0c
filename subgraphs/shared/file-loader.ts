// Per-request batching of registry lookups: every person's file asked for during one
// GraphQL request (a caseload of 200 included) goes to the registry in one call.
import DataLoader from 'dataloader';
import type { RegistryClient, FileLookup } from './registry-client.ts';

export type FileLoader<R> = DataLoader<FileLookup, R | null, string>;

export function createFileLoader<R extends { avs: string }>(client: RegistryClient<R>): FileLoader<R> {
  return new DataLoader<FileLookup, R | null, string>(
    async (keys) => {
      // The same person may be asked twice with different sections (aliases): ask once for the union.
      const sectionsByAvs = new Map<string, Set<string>>();
      for (const k of keys) {
        const s = sectionsByAvs.get(k.avs) ?? new Set<string>();
        k.sections.forEach((x) => s.add(x));
        sectionsByAvs.set(k.avs, s);
      }
      const files = await client.lookup([...sectionsByAvs].map(([avs, s]) => ({ avs, sections: [...s].sort() })));
      return keys.map((k) => files.get(k.avs) ?? null);
    },
    { cacheKeyFn: (k) => `${k.avs}|${k.sections.join(',')}`, maxBatchSize: 500 },
  );
}
