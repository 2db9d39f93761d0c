// An event rule: a change in one institution's file on a person that other institutions
// handling the person should learn of (the CII inventory's "battement" at the passages). One
// rule per file, each with its own test; each names the category the event is data of, and
// that category is decided for every receiving institution as any read would be.
import type { Institution } from '../../schema/catalogue.ts';
import type { Observation } from '../observation.ts';

/** What a rule saw: when (an ISO date the change concerns) and what, in words. */
export interface Detected {
  about: string;
  message: string;
}

export interface EventRule {
  id: string;
  /** For the DPO: what the rule notices, in words. */
  description: string;
  /** The institutions whose files it watches, each with the category its events are data of. */
  sources: Partial<Record<Institution, string>>;
  /**
   * What changed between the last observation (undefined: the person is observed there for the
   * first time) and this one, on `today`.
   */
  detect(previous: Observation | undefined, current: Observation, today: string): Detected[];
}

export const defineEventRule = (r: EventRule) => r;

/** Whole days from `from` to `to` (ISO dates), negative when `to` is earlier. */
export const daysFrom = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
