// Refuses operations with more aliases than the limit: aliases multiply the work of one
// request (the same field asked a thousand times under a thousand names).
import type { ASTVisitor, ValidationContext } from 'graphql';
import { limitError } from './limit-error.ts';

export function maxAliasesRule(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      Document: {
        leave() {
          if (aliases > maxAliases) context.reportError(limitError('aliases', `The operation uses ${aliases} aliases; at most ${maxAliases} are allowed.`));
        },
      },
    };
  };
}
