// A subgraph keeps a gateway request's access decisions for a short while (so that the
// gateway's several calls for one request share them), and no longer: expired requests leave
// the cache as new ones arrive, the cache never grows past its bound, and a different
// requester under the same request id never gets another's decisions.
import { describe, expect, it } from 'vitest';
import { RequestAccessCache, requestFingerprint } from '../subgraphs/shared/request-access-cache.ts';

function cache(ttlMs: number, maxEntries = 10_000) {
  let now = 1_000_000;
  const c = new RequestAccessCache<{ id: string }>(ttlMs, maxEntries, () => now);
  let made = 0;
  const get = (requestId: string, fingerprint = 'AI case-manager') => c.get(requestId, fingerprint, () => ({ id: `${requestId}#${++made}` }));
  return { c, get, advance: (ms: number) => (now += ms) };
}

describe('RequestAccessCache', () => {
  it("shares one request's decisions between the gateway's calls within the time to live", () => {
    const { get, advance } = cache(10_000);
    const first = get('r1');
    advance(9_999);
    expect(get('r1')).toBe(first);
  });

  it('lets requests go once they expire, as new requests arrive (not only when full)', () => {
    const { c, get, advance } = cache(10_000);
    for (let i = 0; i < 50; i++) get(`old-${i}`);
    expect(c.size).toBe(50);
    advance(10_000);
    get('new');
    expect(c.size).toBe(1);
    // An expired request asked again is decided afresh.
    const again = get('old-3');
    expect(again.id).toBe('old-3#52');
  });

  it('never holds more than its bound, dropping the oldest', () => {
    const { c, get } = cache(60_000, 100);
    const first = get('r0');
    for (let i = 1; i < 250; i++) get(`r${i}`);
    expect(c.size).toBe(100);
    expect(get('r249').id).toBe('r249#250');
    expect(get('r0')).not.toBe(first);
  });

  it('gives another requester under the same request id decisions of their own', () => {
    const { get } = cache(10_000);
    const caseManager = get('r1', 'AI case-manager');
    const counsellor = get('r1', 'AC counsellor');
    expect(counsellor).not.toBe(caseManager);
    expect(get('r1', 'AC counsellor')).toBe(counsellor);
  });

  it("keeps another requester's entry under a reused id when the first entry's time comes", () => {
    const { get, advance } = cache(10_000);
    get('r1', 'AI case-manager');
    advance(5_000);
    const counsellor = get('r1', 'AC counsellor');
    advance(5_000); // the first entry would expire now; the counsellor's lives 5 s more
    get('other');
    expect(get('r1', 'AC counsellor')).toBe(counsellor);
  });

  it('expires and bounds correctly across thousands of requests (its queue is compacted)', () => {
    const { c, get, advance } = cache(1_000, 2_500);
    const kept: { id: string }[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3_000; i++) kept[i] = get(`r${round}-${i}`);
      // The bound holds: the last 2,500 of this round are kept, the oldest went.
      expect(c.size).toBe(2_500);
      expect(get(`r${round}-2999`)).toBe(kept[2999]);
      expect(get(`r${round}-0`)).not.toBe(kept[0]);
      advance(1_000);
    }
    get('after');
    expect(c.size).toBe(1);
  });
});

describe('requestFingerprint', () => {
  const r = { institution: 'AI', role: 'case-manager', subject: 'u1' } as const;
  it('is the same for the same requester and facts, and differs when any part differs', () => {
    const base = requestFingerprint(r, { purpose: 'cii', caseReference: 'AI-1' });
    expect(requestFingerprint({ ...r }, { purpose: 'cii', caseReference: 'AI-1' })).toBe(base);
    for (const other of [
      requestFingerprint({ ...r, subject: 'u2' }, { purpose: 'cii', caseReference: 'AI-1' }),
      requestFingerprint({ ...r, role: 'physician' }, { purpose: 'cii', caseReference: 'AI-1' }),
      requestFingerprint({ ...r, canton: 'GE' }, { purpose: 'cii', caseReference: 'AI-1' }),
      requestFingerprint(r, { purpose: 'cii' }),
      requestFingerprint(r, { caseReference: 'AI-1' }),
      requestFingerprint(r, { purpose: 'cii', caseReference: '' }),
    ]) expect(other).not.toBe(base);
  });
  it('cannot be forged by moving text across a boundary', () => {
    expect(requestFingerprint({ ...r, subject: 'u1|2:x' }, { purpose: 'cii' })).not.toBe(requestFingerprint(r, { purpose: 'cii', caseReference: 'x' }));
    expect(requestFingerprint({ ...r, subject: 'a' }, { purpose: 'bc' })).not.toBe(requestFingerprint({ ...r, subject: 'ab' }, { purpose: 'c' }));
  });
});
