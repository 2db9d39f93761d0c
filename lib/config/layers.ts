// The settings as the start reads them: the configuration file (YAML, named by CIIGRAPH_CONFIG),
// then each setting's environment variable over it, validated as one tree. A fault names
// where the value came from: the file, its line and the key, or the variable.
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { StartupError } from '../errors.ts';
import { ENV_BINDINGS, RETIRED_VARIABLES, Settings, type EnvBinding } from './settings.ts';

export const CONFIG_FILE_VARIABLE = 'CIIGRAPH_CONFIG';

interface FileLayer {
  path: string;
  doc: Document;
  lines: LineCounter;
}

function readFileLayer(path: string): { layer: FileLayer; value: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StartupError(path, [`cannot read the configuration file (${CONFIG_FILE_VARIABLE}): ${(e as Error).message}`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new StartupError(path, doc.errors.map((e) => e.message.split('\n')[0]!));
  const value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new StartupError(path, ['the file must hold a mapping of settings']);
  return { layer: { path, doc, lines }, value };
}

function envValue(binding: EnvBinding, text: string): unknown {
  if (binding.kind === 'list') return text.split(',').map((s) => s.trim()).filter(Boolean);
  if (binding.kind === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      throw new Error('not valid JSON');
    }
  }
  return text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

const keyOf = (path: readonly PropertyKey[]) => path.map(String).join('.');

/** Where a key is in the file, as "line N" (the key itself when it has one). */
function lineOf(layer: FileLayer, path: readonly PropertyKey[], key?: string): string {
  const parent = path.length ? layer.doc.getIn(path as unknown[], true) : layer.doc.contents;
  let range: [number, number, number] | undefined | null;
  if (key !== undefined && isMap(parent)) {
    const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    range = (pair?.key as { range?: [number, number, number] } | null)?.range;
  } else range = (parent as { range?: [number, number, number] } | null)?.range;
  if (!range) return '';
  return ` (line ${layer.lines.linePos(range[0]).line})`;
}

export interface LoadedSettings {
  settings: Settings;
  file: string | undefined;
}

/** The validated settings of this environment (and of the file it names); throws StartupError naming every fault. */
export function loadSettings(env: NodeJS.ProcessEnv): LoadedSettings {
  const filePath = env[CONFIG_FILE_VARIABLE]?.trim() || undefined;
  const read = filePath ? readFileLayer(filePath) : undefined;
  const tree = structuredClone((read?.value ?? {}) as Record<string, unknown>);
  const problems: string[] = [];

  for (const [variable, replacement] of Object.entries(RETIRED_VARIABLES)) {
    if (env[variable]) problems.push(`environment variable ${variable}: no longer read; ${replacement}`);
  }
  const fromEnv = new Map<string, string>();
  for (const binding of ENV_BINDINGS) {
    const text = env[binding.variable];
    if (text === undefined || text === '') continue;
    try {
      setPath(tree, binding.path, envValue(binding, text));
      fromEnv.set(keyOf(binding.path), binding.variable);
    } catch (e) {
      problems.push(`environment variable ${binding.variable} (${keyOf(binding.path)}): ${(e as Error).message}`);
    }
  }

  const parsed = Settings.safeParse(tree);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => describe(issue, fromEnv, read?.layer)));
  if (problems.length) throw new StartupError(filePath ?? 'environment', problems);
  return { settings: parsed.data!, file: filePath };
}

/** The variable that set this path or one of its parents, if any. */
function variableFor(path: readonly PropertyKey[], fromEnv: Map<string, string>): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const v = fromEnv.get(keyOf(path.slice(0, n)));
    if (v) return v;
  }
  return undefined;
}

function describe(issue: z.core.$ZodIssue, fromEnv: Map<string, string>, layer: FileLayer | undefined): string {
  if (issue.code === 'unrecognized_keys') {
    // Only the file can hold a key of its own: variables are bound to known settings.
    return issue.keys
      .map((k) => `${keyOf([...issue.path, k])}${layer ? lineOf(layer, issue.path, k) : ''}: unknown key`)
      .join('\n  - ');
  }
  const key = keyOf(issue.path) || '(top level)';
  const variable = variableFor(issue.path, fromEnv);
  if (variable) return `environment variable ${variable} (${key}): ${issue.message}`;
  return `${key}${layer ? lineOf(layer, issue.path) : ''}: ${issue.message}`;
}
