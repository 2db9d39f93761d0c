// Every fishing signal rule, in the order the DPO's page lists them.
import type { SignalRule } from '../signal-rule.ts';
import { readsOutsideAnyCase } from './reads-outside-any-case.ts';
import { readsUnderOwnConsent } from './reads-under-own-consent.ts';
import { unusualVolume } from './unusual-volume.ts';

export const SIGNAL_RULES: ReadonlyMap<string, SignalRule> = new Map([readsOutsideAnyCase, unusualVolume, readsUnderOwnConsent].map((r) => [r.id, r]));
