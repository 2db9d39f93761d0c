// Refuses operations nested deeper than the limit (fragments followed, each counted once per
// path). The person graph itself is shallow; the classic deep query is introspection
// (__schema { types { fields { type { ofType { ofType ...), so introspection fields count.
import { Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import { limitError } from './limit-error.ts';

export function maxDepthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const depthOf = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
        if (!set || depth > maxDepth) return depth;
        let deepest = depth;
        for (const sel of set.selections) {
          if (sel.kind === Kind.FIELD) {
            if (sel.name.value === '__typename') continue;
            deepest = Math.max(deepest, sel.selectionSet ? depthOf(sel.selectionSet, depth + 1, seen) : depth);
          } else if (sel.kind === Kind.INLINE_FRAGMENT) {
            deepest = Math.max(deepest, depthOf(sel.selectionSet, depth, seen));
          } else if (!seen.has(sel.name.value)) {
            const fragment = context.getFragment(sel.name.value);
            deepest = Math.max(deepest, depthOf(fragment?.selectionSet, depth, new Set([...seen, sel.name.value])));
          }
        }
        return deepest;
      };
      const depth = depthOf(operation.selectionSet, 1, new Set());
      // The walk stops one level past the limit: enough to refuse, bounded for hostile input.
      if (depth > maxDepth) context.reportError(limitError('depth', `The operation is nested more than ${maxDepth} levels deep; at most ${maxDepth} are allowed.`));
    },
  });
}
