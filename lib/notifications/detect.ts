// Detection: one institution's observations of persons before and after, through every rule
// that watches its files, into events. An event is idempotent (its id is the rule, source,
// person and the date it is about), so a push and a scheduled comparison that both notice a
// change, or two instances that both scan, make one event.
import { createHash } from 'node:crypto';
import type { Institution } from '../schema/catalogue.ts';
import { NO_FILE, type Observation } from './observation.ts';
import { EVENT_RULES, rulesWatching, type EventRule } from './rules/index.ts';

export interface NotificationEvent {
  id: string;
  rule: string;
  /** The institution whose file changed. */
  source: Institution;
  avs: string;
  /** The category the event is data of (the rule names it): decided for each recipient. */
  category: string;
  /** The ISO date the change is about. */
  about: string;
  message: string;
  /** The ISO date it was noticed. */
  detectedOn: string;
}

export const eventId = (rule: string, source: Institution, avs: string, about: string): string =>
  createHash('sha256').update(`${rule}|${source}|${avs}|${about}`).digest('hex').slice(0, 32);

/**
 * The events between the last observations and the current ones of these persons at one
 * institution. A person asked about but absent from `current` has no file there now.
 */
export function detectEvents(
  source: Institution,
  persons: readonly string[],
  previous: ReadonlyMap<string, Observation>,
  current: ReadonlyMap<string, Observation>,
  today: string,
  rules: readonly EventRule[] = EVENT_RULES,
): NotificationEvent[] {
  const watching = rulesWatching(source, rules);
  const events: NotificationEvent[] = [];
  for (const avs of persons) {
    const now = current.get(avs) ?? NO_FILE;
    for (const rule of watching) {
      for (const d of rule.detect(previous.get(avs), now, today)) {
        events.push({ id: eventId(rule.id, source, avs, d.about), rule: rule.id, source, avs, category: rule.sources[source]!, about: d.about, message: d.message, detectedOn: today });
      }
    }
  }
  return events;
}
