// Checks a subgraph's changed SDL against the others and against the committed supergraph:
// composition errors; breaking changes for clients (a field removed, a type changed) and
// dangerous ones; and every category change, which a DPO must review before it ships.
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { findBreakingChanges, findDangerousChanges, type GraphQLSchema } from 'graphql';
import { loadCatalogue, type CategoryCatalogue } from './catalogue.ts';
import { checkCategoryCoverage } from './category-coverage.ts';
import { compose, defaultSubgraphSources, SUPERGRAPH_PATH, type SubgraphSource } from './compose.ts';

export interface SdlCheckReport {
  subgraph: string;
  compositionErrors: string[];
  breaking: string[];
  dangerous: string[];
  /** Fields whose category was added, changed or removed: for DPO review. */
  categoryChanges: string[];
  /** Personal-data fields without a category, unknown categories. */
  categoryProblems: string[];
  /** True when it composes, breaks nothing and has no category problem (category changes still need review). */
  ok: boolean;
  /** The supergraph the working tree composes to, when it composes. */
  supergraphSdl?: string;
}

const apiSchema = (supergraphSdl: string): GraphQLSchema => Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

export function checkSubgraphSdl(
  subgraph: string,
  schemaPath: string,
  opts: { baselineSupergraph?: string; sources?: SubgraphSource[]; catalogue?: CategoryCatalogue } = {},
): SdlCheckReport {
  const catalogue = opts.catalogue ?? loadCatalogue();
  const sources = (opts.sources ?? defaultSubgraphSources()).map((s) => (s.name === subgraph ? { ...s, schemaPath } : s));
  if (!sources.some((s) => s.name === subgraph)) sources.push({ name: subgraph, url: `http://localhost/${subgraph}`, schemaPath });
  const report: SdlCheckReport = { subgraph, compositionErrors: [], breaking: [], dangerous: [], categoryChanges: [], categoryProblems: [], ok: false };
  let composed;
  try {
    composed = compose(sources);
  } catch (e) {
    report.compositionErrors.push((e as Error).message);
    return report;
  }
  if (!composed.ok) {
    report.compositionErrors = composed.errors;
    return report;
  }
  report.supergraphSdl = composed.supergraphSdl;
  const baseline = opts.baselineSupergraph ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  const before = apiSchema(baseline);
  const after = apiSchema(composed.supergraphSdl);
  report.breaking = findBreakingChanges(before, after).map((c) => c.description);
  report.dangerous = findDangerousChanges(before, after).map((c) => c.description);

  const old = checkCategoryCoverage(baseline, catalogue).fieldCategories;
  const now = checkCategoryCoverage(composed.supergraphSdl, catalogue);
  report.categoryProblems = now.problems;
  for (const [field, category] of now.fieldCategories) {
    const was = old.get(field);
    if (was === undefined) report.categoryChanges.push(`${field}: new field in category ${category}`);
    else if (was !== category) report.categoryChanges.push(`${field}: category ${was} → ${category}`);
  }
  for (const [field, category] of old) if (!now.fieldCategories.has(field)) report.categoryChanges.push(`${field}: removed (was ${category})`);
  report.ok = report.breaking.length === 0 && report.categoryProblems.length === 0;
  return report;
}

export function formatReport(r: SdlCheckReport): string {
  const section = (title: string, items: string[]) => (items.length ? [`${title}:`, ...items.map((i) => `  - ${i}`)] : []);
  const lines = [
    `SDL check of ${r.subgraph}: ${r.compositionErrors.length ? 'DOES NOT COMPOSE' : r.ok ? 'composes, nothing breaks' : 'composes, with problems'}`,
    ...section('Composition errors', r.compositionErrors),
    ...section('Breaking changes (clients will fail)', r.breaking),
    ...section('Dangerous changes', r.dangerous),
    ...section('Category problems', r.categoryProblems),
    ...section('Category changes: a data-protection officer must review these', r.categoryChanges),
  ];
  if (!r.compositionErrors.length && r.ok && !r.categoryChanges.length && !r.dangerous.length) lines.push('  no change against schema/supergraph.graphql');
  return lines.join('\n');
}
