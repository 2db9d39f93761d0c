// Requester-days and contexts for the signal rules' own tests.
import type { AccessLogEntry } from '../../lib/audit/log.ts';
import type { RequesterDay } from '../../lib/supervision/requester-days.ts';
import type { SignalContext } from '../../lib/supervision/signal-rule.ts';
import { DEFAULT_FISHING_THRESHOLDS } from '../../lib/supervision/thresholds.ts';

let id = 0;
export function read(avs: string, over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  id++;
  return {
    id: String(id), at: '2026-12-01T09:00:00.000Z', action: 'READ', institution: 'AC', role: 'counsellor', subject: 'c-1', client: null,
    avs, category: 'ai.file', decision: 'ALLOWED', reason: null, legalBasis: 'LAI art. 68bis', consentId: null, rule: 0, condition: null,
    policy: 'p 1', purpose: 'cii', caseReference: null, subgraph: 'disability', requestId: 'r', ...over,
  };
}

export const day = (reads: AccessLogEntry[]): RequesterDay => ({ day: '2026-12-01', institution: 'AC', role: 'counsellor', subject: 'c-1', reads });

export const avsN = (n: number) => `756.0000.${String(1000 + n).padStart(4, '0')}.00`;

export function context(over: Partial<SignalContext> = {}): SignalContext {
  return { thresholds: DEFAULT_FISHING_THRESHOLDS, usualPersonsPerDay: () => 0, recorderOf: () => undefined, ...over };
}
