// Delivery: an event goes to each other institution that has an open case for the person
// (CONTRACT.md section 6), and only where the policy releases the event's category to that
// institution's delivery role, for the notifications' purpose, under that open case: decided
// by decide(), as a read would be, and journaled (allowed or denied) before it is stored for the
// feed and the webhook. A person with an open case nowhere else gets no decision at all.
import { decide } from '../access/decide.ts';
import type { Decision } from '../access/decision.ts';
import type { PersonFactsReader } from '../access/person-facts.ts';
import type { Policy } from '../access/policy.ts';
import type { Requester } from '../access/requester.ts';
import type { Journal } from '../audit/journal.ts';
import { groupOfDecisions, type LogGroup } from '../audit/record-format.ts';
import { openCasesAt, type CaseRecord } from '../cases/store.ts';
import type { Clock } from '../clock.ts';
import { INSTITUTIONS, type Institution } from '../schema/catalogue.ts';
import { createHash } from 'node:crypto';
import type { NotificationEvent } from './detect.ts';
import type { NewNotification, Notification, NotificationStore } from './store.ts';

/** The subject deliveries are journaled under: no person asked, ciigraph decided. */
export const DELIVERY_SUBJECT = 'ciigraph-notifications';

export interface DeliveryDeps {
  policy: Policy;
  readFacts: PersonFactsReader;
  journal: Journal;
  store: NotificationStore;
  clock: Clock;
  /** The institutions with a webhook: their notifications are queued for it too. */
  webhookRecipients: ReadonlySet<Institution>;
}

export interface DeliveryOutcome {
  /** Events handled now (not before). */
  events: number;
  delivered: Notification[];
  /** Decisions that denied a delivery. */
  denied: number;
}

/** The idempotency key of an event's delivery to one institution: the same on every retry and instance. */
export const notificationId = (event: string, recipient: Institution): string => createHash('sha256').update(`${event}|${recipient}`).digest('hex').slice(0, 32);

/** Which other institutions have an open case for the person, each with its case (the oldest open one). */
export function recipientsOf(cases: readonly CaseRecord[], source: Institution): { institution: Institution; caseReference: string }[] {
  return INSTITUTIONS.filter((i) => i !== source).flatMap((institution) => {
    const open = openCasesAt(cases, institution)[0];
    return open ? [{ institution, caseReference: open.caseReference }] : [];
  });
}

/** Decides, journals and stores the deliveries of events; events handled before are skipped. Throws (nothing marked handled) when a store or the log fails. */
export async function deliverEvents(events: readonly NotificationEvent[], deps: DeliveryDeps, subgraph: string): Promise<DeliveryOutcome> {
  const already = await deps.store.handled(events.map((e) => e.id));
  const fresh = events.filter((e, i) => !already.has(e.id) && events.findIndex((x) => x.id === e.id) === i);
  if (fresh.length === 0) return { events: 0, delivered: [], denied: 0 };
  const persons = [...new Set(fresh.map((e) => e.avs))];
  const { facts, unreadable, reason } = await deps.readFacts(persons);
  // Without the cases there are no recipients, without the consents no decision: fail closed, retried later.
  if (unreadable.size) throw new Error(`the facts of the persons cannot be read: ${reason ?? [...unreadable].join(', ')}`);

  const now = deps.clock.now().toISOString();
  const policy = deps.policy;
  const groups: LogGroup[] = [];
  const allowed: NewNotification[] = [];
  let denied = 0;
  const decided: { rule: string; recipient: Institution; delivered: boolean }[] = [];
  for (const event of fresh) {
    for (const { institution, caseReference } of recipientsOf(facts.get(event.avs)?.cases ?? [], event.source)) {
      const role = policy.deliveryRoleOf(institution);
      // An institution the policy names no delivery role for receives nothing (and no decision is made).
      if (role === undefined) continue;
      const requester: Requester = { institution, role, subject: DELIVERY_SUBJECT };
      const request = { purpose: policy.notifications.purpose, caseReference };
      const [decision] = decide([{ avs: event.avs, category: event.category }], { policy, requester, request, at: now, factsOf: (a) => facts.get(a) }) as [Decision];
      const header = { at: now, requester, purpose: request.purpose, caseReference, subgraph, requestId: `notification-${event.id}`, policy: `${policy.name} ${policy.version}` };
      const group = groupOfDecisions(header, [decision]);
      groups.push({ ...group, items: group.items.map((item) => ({ ...item, action: 'NOTIFICATION_DELIVERED' as const })) });
      decided.push({ rule: event.rule, recipient: institution, delivered: decision.allowed });
      if (!decision.allowed) {
        denied++;
        continue;
      }
      allowed.push({
        id: notificationId(event.id, institution),
        event: event.id,
        rule: event.rule,
        source: event.source,
        recipient: institution,
        avs: event.avs,
        category: event.category,
        about: event.about,
        message: event.message,
        caseReference,
        decidedAt: now,
      });
    }
  }
  // Journaled before anything is stored for the recipients: no delivery without its entry.
  await deps.journal.append(groups);
  const delivered = await deps.store.add(allowed, deps.webhookRecipients);
  await deps.store.count(decided);
  await deps.store.markHandled(fresh.map((e) => e.id));
  return { events: fresh.length, delivered, denied };
}
