// The catalogue's errors are decided outcomes: made without a stack trace (issue 24: a
// caseload's denials spent a quarter of a subgraph's CPU on stacks), and without changing
// the stack traces of real faults made before or after them.
import { buildSchema, graphql, locatedError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, errors, maskUnexpectedErrors } from '../lib/errors.ts';

describe('catalogue errors', () => {
  it('a denial carries its code, category and reason but no stack frames, also once located in a response', () => {
    const denied = errors.denied({ avs: '756.1234.5678.97', category: 'ai.medical', allowed: false, reason: 'NO_CONSENT', rule: 3 } as never, 'No consent.');
    expect(denied.extensions).toMatchObject({ code: ErrorCode.FORBIDDEN, category: 'ai.medical', reason: 'NO_CONSENT' });
    expect(denied.stack).not.toMatch(/\n\s+at /);
    const located = locatedError(denied, [], ['persons', 0, 'disability', 'medical']);
    expect(located.stack).not.toMatch(/\n\s+at /);
    expect(located.extensions.code).toBe(ErrorCode.FORBIDDEN);
  });

  it('a denial made where its field is resolved is the error of the response as it is, at the path and location graphql gives', async () => {
    const schema = buildSchema('type Query { persons: [Person!]! } type Person { medical: String, file: String }');
    const denial = (at?: Parameters<typeof errors.denied>[2]) => errors.denied({ avs: '756.1234.5678.97', category: 'ai.medical', allowed: false, reason: 'NO_CONSENT', rule: 3 } as never, 'No consent.', at);
    const thrown: unknown[] = [];
    const rootValue = {
      persons: () => [0, 1].map(() => ({
        medical: (_: unknown, __: unknown, info: GraphQLResolveInfo) => {
          const e = denial({ nodes: info.fieldNodes, path: responsePathAsArray(info.path) });
          thrown.push(e);
          throw e;
        },
        file: () => {
          throw denial();
        },
      })),
    };
    const result = await graphql({ schema, source: '{ persons { medical file } }', rootValue });
    const byPath = new Map(result.errors!.map((e) => [e.path!.join('.'), e]));
    for (const i of [0, 1]) {
      const located = byPath.get(`persons.${i}.medical`)!;
      expect(thrown).toContain(located);
      // The same place as graphql gives the error it locates itself.
      expect(located.locations).toEqual(byPath.get(`persons.${i}.file`)!.locations!.map((l) => ({ ...l, column: l.column - 8 })));
      expect(located.toJSON()).toMatchObject({ message: 'No consent.', path: ['persons', i, 'medical'], extensions: { code: ErrorCode.FORBIDDEN, category: 'ai.medical' } });
    }
  });

  it('every kind in the catalogue is made without a stack', () => {
    for (const e of [errors.badUserInput('bad'), errors.unauthenticated(), errors.auditUnavailable(), errors.consentStoreUnavailable(), errors.caseRepertoryUnavailable(), errors.registryUnavailable('AI')]) {
      expect(e.stack).not.toMatch(/\n\s+at /);
    }
  });

  it('faults keep their stack traces', () => {
    errors.auditUnavailable();
    expect(new Error('a real fault').stack).toMatch(/\n\s+at /);
  });

  it('reach the client without a stack or an exception field, whether Apollo added them or not', () => {
    const format = maskUnexpectedErrors('test');
    const denied = errors.denied({ avs: '756.1234.5678.97', category: 'ai.medical', allowed: false, reason: 'NO_CONSENT', rule: 3 } as never, 'No consent.');
    const plain = { message: 'No consent.', path: ['person', 'medical'], extensions: { code: 'FORBIDDEN', category: 'ai.medical', reason: 'NO_CONSENT' } };
    expect(format(plain, denied)).toEqual(plain);
    const debug = { ...plain, extensions: { ...plain.extensions, stacktrace: ['GraphQLError: No consent.', '    at x (y.ts:1:1)'], exception: { stacktrace: [] } } };
    expect(format(debug, denied)).toEqual(plain);
    expect(debug.extensions.stacktrace).toHaveLength(2);
  });
});
