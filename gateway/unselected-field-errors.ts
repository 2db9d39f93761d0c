// Errors the client did not ask for: fields the gateway fetched for its own needs (the
// inputs of a @requires, such as the situation's) can be denied, and those denials would
// reach the client at paths it never selected. The decisions are journaled where they were
// made; the answer keeps only errors on the fields of the operation.
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';

function selects(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, path: readonly (string | number)[]): boolean {
  let sets: SelectionSetNode[] = [operation.selectionSet];
  for (const segment of path) {
    if (typeof segment === 'number') continue;
    const next: SelectionSetNode[] = [];
    let found = false;
    const visit = (set: SelectionSetNode, seen: ReadonlySet<string>) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if ((sel.alias?.value ?? sel.name.value) !== segment) continue;
          found = true;
          if (sel.selectionSet) next.push(sel.selectionSet);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, seen);
        else if (!seen.has(sel.name.value)) {
          const f = fragments.get(sel.name.value);
          if (f) visit(f.selectionSet, new Set([...seen, sel.name.value]));
        }
      }
    };
    for (const set of sets) visit(set, new Set());
    if (!found) return false;
    sets = next;
  }
  return true;
}

export function dropErrorsOfUnselectedFields(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, operation }) {
          if (response.body.kind !== 'single' || !operation || !document) return;
          const result = response.body.singleResult;
          if (!result.errors?.length) return;
          const fragments = new Map((document as DocumentNode).definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [(d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode]));
          const kept = result.errors.filter((e) => !e.path || selects(operation, fragments, e.path));
          result.errors = kept.length ? kept : undefined;
        },
      };
    },
  };
}
