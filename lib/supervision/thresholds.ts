// When a requester's day is worth the DPO's look: the policy file's `fishingSignals`, set by
// the canton's DPO. A policy without them (written before ciigraph 0.5) gets these defaults.
import { z } from 'zod';

export const FishingThresholds = z.strictObject({
  /** Reads denied for want of an open case (NO_OPEN_CASE) in one day, from which the day is flagged. */
  readsOutsideAnyCase: z.number().int().min(1),
  /** Persons read in one day, as a multiple of the usual day at the requester's institution, from which the day is flagged… */
  volumeFactor: z.number().min(1),
  /** …provided at least this many persons were read (a quiet institution's usual is small). */
  volumeMinimum: z.number().int().min(1),
  /** The days before, over which an institution's usual day is measured (the median of its requesters' days). */
  usualOverDays: z.number().int().min(1).max(366),
  /** Persons read in one day under a consent the same requester recorded, from which the day is flagged. */
  readsUnderOwnConsent: z.number().int().min(1),
});
export type FishingThresholds = z.infer<typeof FishingThresholds>;

export const DEFAULT_FISHING_THRESHOLDS: FishingThresholds = {
  readsOutsideAnyCase: 3,
  volumeFactor: 3,
  volumeMinimum: 30,
  usualOverDays: 28,
  readsUnderOwnConsent: 3,
};
