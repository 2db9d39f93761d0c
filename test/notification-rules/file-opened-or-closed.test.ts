import { describe, expect, it } from 'vitest';
import { fileOpenedOrClosed, RECENT_DAYS } from '../../lib/notifications/rules/file-opened-or-closed.ts';

const today = '2026-06-15';

describe('event rule file-opened-or-closed', () => {
  it('notices a file that appears, on the day it was opened', () => {
    expect(fileOpenedOrClosed.detect({ file: false }, { file: true, openedOn: '2026-06-15' }, today)).toEqual([{ about: '2026-06-15', message: 'A file was opened on 2026-06-15.' }]);
  });
  it('counts a file seen for the first time as opened only when it was opened recently', () => {
    expect(fileOpenedOrClosed.detect(undefined, { file: true, openedOn: '2026-05-20' }, today)).toHaveLength(1);
    expect(fileOpenedOrClosed.detect(undefined, { file: true, openedOn: '2026-01-02' }, today)).toEqual([]);
    expect(RECENT_DAYS).toBe(30);
  });
  it('notices a file that disappears or becomes CLOSED, once', () => {
    expect(fileOpenedOrClosed.detect({ file: true, openedOn: '2026-01-02' }, { file: false }, today)).toEqual([{ about: today, message: `The file was closed (noticed on ${today}).` }]);
    expect(fileOpenedOrClosed.detect({ file: true, status: 'DECIDED' }, { file: true, status: 'CLOSED' }, today)).toHaveLength(1);
    expect(fileOpenedOrClosed.detect({ file: true, status: 'CLOSED' }, { file: true, status: 'CLOSED' }, today)).toEqual([]);
  });
  it('says nothing while a file stays open or stays absent', () => {
    expect(fileOpenedOrClosed.detect({ file: true, openedOn: '2026-01-02' }, { file: true, openedOn: '2026-01-02' }, today)).toEqual([]);
    expect(fileOpenedOrClosed.detect({ file: false }, { file: false }, today)).toEqual([]);
    expect(fileOpenedOrClosed.detect(undefined, { file: false }, today)).toEqual([]);
  });
  it('names the file category of each institution as its source category', () => {
    expect(fileOpenedOrClosed.sources).toEqual({ AC: 'ac.registration', AI: 'ai.file', AS: 'as.dossier', PC: 'pc.entitlement' });
  });
});
