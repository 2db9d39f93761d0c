// The revisions a run measures: this working tree (the "after"), and for `--compare <rev>` a
// git worktree of another commit (the "before"), whose own bench/serve-stack.ts starts its stack.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComparedRevision } from './types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What the before stack is started with: the orchestrator speaks its protocol. */
const SERVE_STACK = 'bench/serve-stack.ts';

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const succeeds = (...args: string[]) => {
  try {
    git(...args);
    return true;
  } catch {
    return false;
  }
};

/** The working tree's commit, `+dirty` when tracked files have uncommitted changes. */
export function currentCommit(): string {
  try {
    const sha = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export interface Checkout extends ComparedRevision {
  /** The worktree: its bench/serve-stack.ts is what the children run. */
  dir: string;
  /** Deletes the worktree (idempotent, synchronous so a signal handler can call it). */
  remove(): void;
}

const live = new Set<Checkout>();

/** Removes every worktree still there (orchestrator crash or Ctrl-C). */
export function removeAllCheckouts(): void {
  for (const c of live) c.remove();
}

/**
 * `git worktree add --detach` of `rev` in a temporary directory, with this checkout's
 * node_modules symlinked in (no install; a lockfile difference is reported, not fixed).
 */
export function checkOut(rev: string): Checkout {
  let full: string;
  try {
    full = git('rev-parse', '--verify', '--quiet', `${rev}^{commit}`);
  } catch {
    throw new Error(`--compare ${rev}: not a commit of this repository`);
  }
  const sha = git('rev-parse', '--short', full);
  if (!succeeds('cat-file', '-e', `${full}:${SERVE_STACK}`)) {
    throw new Error(`--compare ${rev} (${sha}): that revision has no ${SERVE_STACK}, so its stack cannot be started the same way; compare with a later commit`);
  }
  const subject = git('log', '-1', '--format=%s', full);
  const dir = mkdtempSync(join(os.tmpdir(), `ciigraph-bench-${sha}-`));
  try {
    git('worktree', 'add', '--detach', dir, full);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`--compare ${rev} (${sha}): git worktree add failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const modules = join(dir, 'node_modules');
  const checkout: Checkout = {
    rev,
    sha,
    subject,
    dir,
    sameDependencies: succeeds('diff', '--quiet', full, '--', 'package-lock.json'),
    remove: () => {
      if (!live.delete(checkout)) return;
      // The symlink first: nothing below may ever walk into this checkout's node_modules.
      rmSync(modules, { force: true });
      if (succeeds('worktree', 'remove', '--force', dir)) return;
      rmSync(dir, { recursive: true, force: true });
      succeeds('worktree', 'prune');
    },
  };
  live.add(checkout);
  symlinkSync(join(ROOT, 'node_modules'), modules, 'dir');
  return checkout;
}
