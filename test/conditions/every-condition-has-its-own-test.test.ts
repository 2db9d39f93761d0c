// Like graphql-js's validation rules: each condition a policy may name is one file in
// lib/access/conditions/ with a test file of the same name here.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONDITIONS } from '../../lib/access/conditions/index.ts';

const kebab = (type: string) => type.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const dir = new URL('../../lib/access/conditions/', import.meta.url);

describe('conditions', () => {
  it('are one file each, each with its own test', () => {
    const files = readdirSync(dir).filter((f) => !['condition.ts', 'index.ts'].includes(f));
    expect(files.sort()).toEqual([...CONDITIONS.keys()].map((t) => `${kebab(t)}.ts`).sort());
    for (const type of CONDITIONS.keys()) expect(existsSync(new URL(`./${kebab(type)}.test.ts`, import.meta.url)), type).toBe(true);
  });
});
