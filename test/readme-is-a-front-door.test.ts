// The README is a front door: at most 10 KB, with the two commands, a first query that names a
// real case, and a map of the documentation; every relative link in it and in docs/ (and in
// CHANGELOG.md) leads to a file that exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/run-command.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

describe('the README', () => {
  it('is at most 10 KB and opens with the two commands and a first query in a real case', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(10 * 1024);
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(readme).toMatch(/npm run --silent token -- --institution AI --role case-manager --purpose cii --case AI-GE-2026-0815/);
    expect(readme).toContain('## Documentation map');
    for (const audience of ['docs/operators/', 'docs/data-protection/', 'docs/institution-developers/', 'docs/architecture/', 'CHANGELOG.md']) expect(readme).toContain(audience);
  });

  it('and the documentation link only to files that exist', () => {
    const files = [join(ROOT, 'README.md'), join(ROOT, 'CHANGELOG.md'), ...markdownFiles(join(ROOT, 'docs'))];
    const broken: string[] = [];
    for (const file of files) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = join(dirname(file), target!.split('#')[0]!);
        if (!existsSync(path)) broken.push(`${file.slice(ROOT.length)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
