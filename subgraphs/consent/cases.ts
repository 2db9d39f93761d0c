// openCase and closeCase (CONTRACT.md section 6): the requester's own institution's cases (the
// CII's for a CII referent). Who may is the policy's (permission case.manage, checked by the
// shared mechanism before these run); here, the input is validated and the change journaled.
import { z } from 'zod';
import { Avs } from '../../lib/avs.ts';
import { CaseChangeNotJournaled, closeCaseJournaled, openCaseJournaled } from '../../lib/cases/changes.ts';
import { CaseConflict, RepertoryCaseReference, type CaseRecord } from '../../lib/cases/store.ts';
import { isoDate } from '../../lib/clock.ts';
import { errors } from '../../lib/errors.ts';
import { log } from '../../lib/log.ts';
import type { SubgraphContext, SubgraphDeps } from '../shared/definition.ts';
import { badInput } from './bad-input.ts';
import { actionHeader } from './consents.ts';

const OpenCaseInput = z.strictObject({ avs: Avs, caseReference: RepertoryCaseReference });
const CloseCaseArgs = z.strictObject({ avs: Avs, caseReference: RepertoryCaseReference });

const toGraphQL = (c: CaseRecord) => ({ institution: c.institution, caseReference: c.caseReference, openedOn: c.openedOn, closedOn: c.closedOn });

export function caseResolvers(deps: SubgraphDeps) {
  const change = async (ctx: SubgraphContext, args: { avs: string; caseReference: string }, what: 'open' | 'close') => {
    const { requester } = ctx.access;
    const c = { avs: args.avs, caseReference: args.caseReference, institution: deps.policy.actsFor(requester.institution, requester.role), on: isoDate(deps.clock.now()) };
    const header = actionHeader(deps, ctx);
    try {
      return toGraphQL(what === 'open' ? (await openCaseJournaled(deps.cases, deps.journal, c, header)).record : await closeCaseJournaled(deps.cases, deps.journal, c, header));
    } catch (e) {
      if (e instanceof CaseConflict) throw errors.badUserInput(e.message, { field: 'caseReference' });
      if (e instanceof CaseChangeNotJournaled) {
        log.error({ service: 'consent', reason: e.message }, 'case change not journaled');
        throw errors.auditUnavailable();
      }
      log.error({ service: 'consent', store: 'cases', reason: (e as Error).message }, 'storage failed');
      throw errors.caseRepertoryUnavailable();
    }
  };
  return {
    openCase: (_: unknown, args: { input: unknown }, ctx: SubgraphContext) => {
      const parsed = OpenCaseInput.safeParse(args.input);
      if (!parsed.success) throw badInput('input', parsed.error);
      return change(ctx, parsed.data, 'open');
    },
    closeCase: (_: unknown, args: unknown, ctx: SubgraphContext) => {
      const parsed = CloseCaseArgs.safeParse(args);
      if (!parsed.success) throw badInput('closeCase', parsed.error);
      return change(ctx, parsed.data, 'close');
    },
  };
}

/** A person's cases, as the repertory holds them (Person.cases). */
export async function personCases(deps: SubgraphDeps, avs: string) {
  try {
    return ((await deps.cases.forPersons([avs])).get(avs) ?? []).map(toGraphQL);
  } catch (e) {
    log.error({ service: 'consent', store: 'cases', reason: (e as Error).message }, 'storage failed');
    throw errors.caseRepertoryUnavailable();
  }
}
