import { daysFrom, defineEventRule } from './rule.ts';

/** A file seen for the first time counts as opened when it was opened at most this many days before. */
export const RECENT_DAYS = 30;

/**
 * An institution opened or closed its file on the person: the ORP registration, the AI request,
 * the social-assistance dossier, the PC entitlement. The others learn of the passage when it
 * happens, not months later.
 */
export const fileOpenedOrClosed = defineEventRule({
  id: 'file-opened-or-closed',
  description: `An institution opened its file on the person (seen for the first time: opened within the last ${RECENT_DAYS} days) or closed it (the file is gone or its status is CLOSED).`,
  sources: { AC: 'ac.registration', AI: 'ai.file', AS: 'as.dossier', PC: 'pc.entitlement' },
  detect(previous, current, today) {
    const wasOpen = previous?.file === true && previous.status !== 'CLOSED';
    const isOpen = current.file && current.status !== 'CLOSED';
    if (!wasOpen && isOpen) {
      const openedOn = current.openedOn ?? today;
      // Seen for the first time: an old file is no news, a recent one is.
      if (previous === undefined && daysFrom(openedOn, today) > RECENT_DAYS) return [];
      return [{ about: openedOn, message: `A file was opened on ${openedOn}.` }];
    }
    if (wasOpen && !isOpen) return [{ about: today, message: `The file was closed (noticed on ${today}).` }];
    return [];
  },
});
