// An AI request is pending (no decision yet) while the ORP keeps placing the person: the two
// institutions may pull in different directions until the AI decides.
import type { SignalRule } from '../inputs.ts';

const PENDING = new Set(['FILED', 'EARLY_INTERVENTION', 'INTEGRATION', 'ASSESSMENT']);

export const aiPendingDuringPlacement: SignalRule = {
  id: 'ai-pending-during-placement',
  detect(_periods, i) {
    const d = i.disability;
    const u = i.unemployment;
    if (!d || !u || d.decision || !PENDING.has(d.status)) return [];
    return [
      {
        rule: this.id,
        message: `An AI request is pending since ${d.filedOn} while the ORP placement goes on (registered since ${u.registeredSince}).`,
        from: d.filedOn > u.registeredSince ? d.filedOn : u.registeredSince,
        to: null,
        categories: ['ai.file', 'ac.registration'],
      },
    ];
  },
};
