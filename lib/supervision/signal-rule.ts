// A fishing signal rule: one file each in signals/, with its own test (like the policy's
// conditions). A rule looks at one requester-day and says whether, and on which log entries,
// the DPO should look.
import type { AccessLogEntry } from '../audit/log.ts';
import type { Institution } from '../schema/catalogue.ts';
import type { RequesterDay } from './requester-days.ts';
import type { FishingThresholds } from './thresholds.ts';

export interface SignalContext {
  thresholds: FishingThresholds;
  /** Persons read on a usual day by a requester of this institution (the median over the days before); 0 when unknown. */
  usualPersonsPerDay(institution: Institution): number;
  /** Who recorded a consent, when the consent registry knows it. */
  recorderOf(consentId: string): { institution: Institution; subject: string } | undefined;
}

export interface SignalFinding {
  /** What was seen, in words, with its numbers. */
  message: string;
  /** The log entries that show it. */
  entries: AccessLogEntry[];
}

export interface SignalRule {
  id: string;
  /** What the rule flags, in words, with the policy's thresholds. */
  describe(t: FishingThresholds): string;
  check(day: RequesterDay, ctx: SignalContext): SignalFinding | null;
}

export const defineSignalRule = (rule: SignalRule): SignalRule => rule;
