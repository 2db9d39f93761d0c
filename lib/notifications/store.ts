// Where notifications live between their decision and their reading: the observations each
// institution compares against, the events already handled, the delivered notifications (the
// feed, by recipient), and the webhook outbox with its dead letters. In memory (one process) or
// in Redis (every instance), behind this one interface, like consents and cases.
import { z } from 'zod';
import { Institution } from '../schema/catalogue.ts';
import type { Observation } from './observation.ts';

/** A notification delivered to one institution: an event it was decided to receive. */
export const Notification = z.strictObject({
  /** The idempotency key: the event and the recipient (the same at every retry and every instance). */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  /** Position in the store's order: the feed's cursor. */
  seq: z.number().int().positive(),
  event: z.string().regex(/^[0-9a-f]{32}$/),
  rule: z.string().min(1),
  source: Institution,
  recipient: Institution,
  avs: z.string(),
  category: z.string().min(1),
  about: z.iso.date(),
  message: z.string(),
  /** The recipient's open case the delivery was decided under. */
  caseReference: z.string(),
  /** When the delivery was decided (ISO timestamp). */
  decidedAt: z.string(),
});
export type Notification = z.infer<typeof Notification>;
export type NewNotification = Omit<Notification, 'seq'>;

/** A webhook delivery that is due: the notification and how many attempts it has had. */
export interface DueDelivery {
  notification: Notification;
  attempts: number;
}

/** A webhook delivery given up on after its last attempt: visible to operators, retried by them. */
export interface DeadLetter {
  notification: Notification;
  attempts: number;
  lastError: string;
  /** When it was given up on (ISO timestamp). */
  deadAt: string;
}

/** How many deliveries of a rule's events to one institution were decided, each way (for the DPO). */
export interface Tally {
  rule: string;
  recipient: Institution;
  delivered: number;
  refused: number;
}

export interface NotificationStore {
  /** Counts decided deliveries. */
  count(decided: readonly { rule: string; recipient: Institution; delivered: boolean }[]): Promise<void>;
  /** What was counted, by rule and recipient. */
  tallies(): Promise<Tally[]>;
  /** The last observations of these persons at an institution (absent: never observed). */
  observations(institution: Institution, avs: readonly string[]): Promise<Map<string, Observation>>;
  /** Replaces them. */
  observe(institution: Institution, observations: ReadonlyMap<string, Observation>): Promise<void>;
  /** Which of these events were handled already. */
  handled(eventIds: readonly string[]): Promise<Set<string>>;
  /** Marks events handled (after their deliveries are decided, journaled and stored). */
  markHandled(eventIds: readonly string[]): Promise<void>;
  /**
   * Stores delivered notifications, idempotent by id (a notification stored before is left as
   * it was), each queued for its recipient's webhook when the recipient has one. Answers the
   * stored notifications, with their positions.
   */
  add(notifications: readonly NewNotification[], webhookRecipients: ReadonlySet<Institution>): Promise<Notification[]>;
  /** A recipient's notifications after a position, oldest first. */
  since(recipient: Institution, after: number, limit: number): Promise<Notification[]>;
  /**
   * Claims webhook deliveries due at `now` (ISO timestamp), oldest due first: each is due again
   * only at `leaseUntil`, so another instance does not send it meanwhile, and one whose sender
   * died is sent again then (at least once).
   */
  claimDue(now: string, limit: number, leaseUntil: string): Promise<DueDelivery[]>;
  /** The recipient acknowledged it: off the outbox. */
  delivered(id: string): Promise<void>;
  /** An attempt failed: try again at `retryAt`, or (null) give up and move it to the dead letters. */
  failed(id: string, attempts: number, retryAt: string | null, error: string, now: string): Promise<void>;
  deadLetters(): Promise<DeadLetter[]>;
  /** Puts a dead letter back in the outbox, due at `now`; false when there is no such dead letter. */
  retryDeadLetter(id: string, now: string): Promise<boolean>;
  close(): Promise<void>;
}
