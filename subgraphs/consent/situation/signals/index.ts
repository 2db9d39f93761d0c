// Every signal rule, in the order signals are listed.
import type { SignalRule } from '../inputs.ts';
import { aiPendingDuringPlacement } from './ai-pending-during-placement.ts';
import { doubleFunding } from './double-funding.ts';
import { entitlementExhausting } from './entitlement-exhausting.ts';
import { supportGap } from './support-gap.ts';

export const SIGNAL_RULES: readonly SignalRule[] = [entitlementExhausting, supportGap, doubleFunding, aiPendingDuringPlacement];
