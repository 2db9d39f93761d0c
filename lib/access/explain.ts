// A denial in words: why, and what would release the field. Read by the case worker (the
// error's message) and the DPO. Built from the policy, the requester and the request only,
// like the decision itself, so it reads the same whether or not the data exists.
import type { ActionDecision } from './decide.ts';
import type { Denied } from './decision.ts';
import type { RequestFacts } from './conditions/index.ts';
import type { Policy } from './policy.ts';
import type { Requester } from './requester.ts';

export function explainDenial(d: Denied, policy: Policy, requester: Requester, request: RequestFacts): string {
  const who = `${requester.institution} ${requester.role}`;
  const where = d.rule === undefined ? '' : ` (rules[${d.rule}] of ${policy.name} ${policy.version})`;
  switch (d.reason) {
    case 'NO_RULE':
      return policy.roleExistsAt(requester.institution, requester.role)
        ? `No rule of the active policy releases "${d.category}" to ${who}.`
        : `The role "${requester.role}" does not exist at ${requester.institution} under the active policy: nothing is released to it.`;
    case 'NEVER':
      return `"${d.category}" is never released to ${who}, not even with the person's consent${where}.`;
    case 'NO_OPEN_CASE':
      return `"${d.category}" is released to ${who} only for a person who is an open case of ${policy.actsFor(requester.institution, requester.role)}${request.caseReference ? `, under the case the request names` : ''}: ${d.condition?.unmet ?? 'no open case'}${where}.`;
    case 'CONDITION_UNMET': {
      const demand = d.condition ? ` only if ${d.condition.demands}` : '';
      return `"${d.category}" is released to ${who} under ${d.legalBasis ?? 'its rule'}${demand}: ${d.condition?.unmet ?? 'a condition is not met'}${where}.`;
    }
    case 'NO_CONSENT': {
      const recipient = policy.consentRecipientOf(requester.institution, requester.role);
      return request.purpose
        ? `"${d.category}" needs the person's consent naming ${recipient} for ${d.category} and purpose ${request.purpose}; none in force matches${where}.`
        : `"${d.category}" needs the person's consent naming ${recipient} for ${d.category} and the request's purpose; the request states no purpose${where}.`;
    }
  }
}

/** An action's denial in words: the role is not permitted, or a condition is not met. */
export function explainActionDenial(action: string, d: Extract<ActionDecision, { allowed: false }>, policy: Policy, requester: Requester, _request: RequestFacts): string {
  const what = policy.actions.get(action)?.description ?? action;
  if (d.reason === 'NO_RULE') return `The role "${requester.role}" at ${requester.institution} may not ${what} (permission ${action}).`;
  return `${requester.institution} ${requester.role} may ${what} only if ${d.condition?.demands ?? 'its conditions are met'}: ${d.condition?.unmet ?? 'a condition is not met'}.`;
}
