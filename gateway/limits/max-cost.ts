// Refuses operations whose estimated cost is over the limit. The cost of a field is 1 plus
// the cost of its selection, multiplied for `persons` by the number of AVS numbers asked
// (known only with the variables, so this runs once the operation is resolved, before
// planning). A caseload of 200 with every field is well inside the default; the same with
// aliases on every file is not.
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { withHttpStatus } from '../../lib/errors.ts';
import { limitError } from './limit-error.ts';

function listLength(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  if (!value) return 1;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return Array.isArray(v) ? v.length : 1;
  }
  return 1;
}

export function operationCost(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const costOf = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>): number => {
    let cost = 0;
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        const multiplier = sel.name.value === 'persons' ? listLength(sel.arguments?.find((a) => a.name.value === 'avs')?.value, variables) : 1;
        cost += multiplier * (1 + costOf(sel.selectionSet, seen));
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        cost += costOf(sel.selectionSet, seen);
      } else if (!seen.has(sel.name.value)) {
        cost += costOf(fragments.get(sel.name.value)?.selectionSet, new Set([...seen, sel.name.value]));
      }
    }
    return cost;
  };
  return costOf(operation.selectionSet, new Set());
}

export function maxCostPlugin(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(document, operation, request.variables ?? {});
          if (cost > maxCost) throw withHttpStatus(limitError('cost', `The operation's estimated cost is ${cost}; at most ${maxCost} is allowed.`), 400);
        },
      };
    },
  };
}
