// A copy of the repository's code and data in a temporary folder (node_modules linked), for
// tests that run a command which edits or reloads the working tree: the real files stay as
// they are, and so do the other test files that read them meanwhile.
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run-command.ts';

export interface TreeCopy {
  dir: string;
  remove(): void;
}

export function copyRepository(prefix: string): TreeCopy {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of ['bin', 'lib', 'gateway', 'subgraphs', 'mocks', 'schema', 'package.json', 'tsconfig.json']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
