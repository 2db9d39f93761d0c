// The node flags ciigraph runs with (lib/runtime-flags.ts) are the same wherever it starts:
// `npm start`, the container image, and the benchmark that measures them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runtimeFlagsOf } from '../bench/lib/children.ts';
import { NODE_FLAGS } from '../lib/runtime-flags.ts';

const ROOT = new URL('..', import.meta.url).pathname;

describe('runtime flags', () => {
  it('are node flags, and there are some', () => {
    expect(NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of NODE_FLAGS) expect(flag).toMatch(/^--[a-z][a-z0-9-]*(=\S+)?$/);
  });

  it('are passed by `npm start`', () => {
    const start = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start.split(/\s+/)).toEqual(expect.arrayContaining([...NODE_FLAGS]));
    expect(start).toMatch(/^node .*bin\/start\.ts$/);
  });

  it("are passed by the container image's entrypoint", () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(`${ROOT}docker/Dockerfile`, 'utf8'))?.[1];
    expect(entrypoint).toBeDefined();
    expect(JSON.parse(entrypoint!) as string[]).toEqual(expect.arrayContaining([...NODE_FLAGS]));
  });

  it("are what the benchmark gives this checkout's processes", async () => {
    expect(await runtimeFlagsOf()).toEqual(NODE_FLAGS);
  });
});
