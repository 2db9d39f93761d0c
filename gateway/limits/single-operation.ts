// Refuses documents that define more than one operation: one request, one operation, one
// set of access decisions to journal.
import type { ASTVisitor, ValidationContext } from 'graphql';
import { limitError } from './limit-error.ts';

export function singleOperationRule() {
  return (context: ValidationContext): ASTVisitor => ({
    Document(doc) {
      const operations = doc.definitions.filter((d) => d.kind === 'OperationDefinition').length;
      if (operations > 1) context.reportError(limitError('operations', `The document defines ${operations} operations; send one per request.`));
    },
  });
}
