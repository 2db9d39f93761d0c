// Like the policy's conditions: each fishing signal rule is one file in
// lib/supervision/signals/ with a test file of the same name here.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIGNAL_RULES } from '../../lib/supervision/signals/index.ts';

const kebab = (id: string) => id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const dir = new URL('../../lib/supervision/signals/', import.meta.url);

describe('fishing signal rules', () => {
  it('are one file each, each with its own test', () => {
    const files = readdirSync(dir).filter((f) => f !== 'index.ts');
    expect(files.sort()).toEqual([...SIGNAL_RULES.keys()].map((id) => `${kebab(id)}.ts`).sort());
    for (const id of SIGNAL_RULES.keys()) expect(existsSync(new URL(`./${kebab(id)}.test.ts`, import.meta.url)), id).toBe(true);
  });
});
