// How many calls a query plan makes to each subgraph. The gateway signs the count into each
// call's credential, so that a subgraph called once for a request need not keep that
// request's access decisions for a later call that will not come.
// Branches that may not run (@include/@skip conditions, deferred parts) are counted too: the
// count is an upper bound, so a subgraph never drops decisions a second call would reuse.

/** The plan nodes this count reads (structurally, those of @apollo/query-planner). */
interface PlanNode {
  kind: string;
  serviceName?: string;
  node?: PlanNode;
  nodes?: PlanNode[];
  primary?: PlanNode | { node?: PlanNode };
  rest?: PlanNode;
  deferred?: { node?: PlanNode }[];
  ifClause?: PlanNode;
  elseClause?: PlanNode;
}

const counted = new WeakMap<object, ReadonlyMap<string, number>>();

/** Subgraph name → calls the plan makes to it. Plans are cached by the gateway; so is this. */
export function fetchesPerSubgraph(plan: { node?: unknown }): ReadonlyMap<string, number> {
  let fetches = counted.get(plan);
  if (!fetches) {
    const m = new Map<string, number>();
    const visit = (n: PlanNode | undefined): void => {
      if (!n) return;
      if (n.kind === 'Fetch' && n.serviceName !== undefined) m.set(n.serviceName, (m.get(n.serviceName) ?? 0) + 1);
      visit(n.node);
      n.nodes?.forEach(visit);
      visit(n.primary as PlanNode | undefined);
      visit(n.rest);
      n.deferred?.forEach((d) => visit(d.node));
      visit(n.ifClause);
      visit(n.elseClause);
    };
    visit(plan.node as PlanNode | undefined);
    counted.set(plan, (fetches = m));
  }
  return fetches;
}
