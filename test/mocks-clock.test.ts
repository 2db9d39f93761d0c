// The mocks can advance their clock (issue 23, point 4): on MOCK_TODAY the painter is the
// contract's scenario person; before, what had not happened is not on file; after, the AI
// decides and closes its file and his entitlement runs out. Moved over HTTP (POST /__clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_TODAY } from '../mocks/dates.ts';
import { PAINTER_AVS, SCENARIOS } from '../mocks/scenarios.ts';
import { startMockRegistries, type MockRegistries } from '../mocks/server.ts';
import { painterOn, PAINTER_STORY } from '../mocks/story.ts';

let mocks: MockRegistries;
beforeAll(async () => {
  mocks = await startMockRegistries();
});
afterAll(() => mocks?.close());

const lookup = async (path: string, sections: string[]) => {
  const res = await fetch(`${mocks.url}${path}/v1/files/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requests: [{ avs: PAINTER_AVS, sections }] }) });
  return ((await res.json()) as { files: Record<string, any>[] }).files[0];
};

describe("the mocks' clock", () => {
  it('shows the painter of the contract on MOCK_TODAY, and his story before and after', () => {
    expect(painterOn(MOCK_TODAY)).toEqual(SCENARIOS.get(PAINTER_AVS));
    expect(painterOn('2026-01-31')).toEqual({ unemployment: null, disability: null, socialAssistance: null, supplementaryBenefits: null });
    const march = painterOn('2026-03-02');
    expect([march.unemployment?.registration.registeredSince, march.socialAssistance?.dossier.openedOn, march.disability]).toEqual(['2026-02-02', '2026-03-02', null]);
    expect(painterOn(PAINTER_STORY.aiFiling).disability?.file.status).toBe('FILED');
    expect(painterOn(PAINTER_STORY.aiDecision).disability?.decision).toEqual({ invalidityDegree: 20, pension: 0, decidedOn: '2026-12-14' });
    expect(painterOn(PAINTER_STORY.aiFileClosed).disability?.file.status).toBe('CLOSED');
    expect(painterOn(PAINTER_STORY.entitlementExhausted).unemployment?.entitlement?.remainingDays).toBe(0);
    expect(painterOn('2027-02-01').socialAssistance?.benefits?.complementsUnemployment).toBe(false);
  });

  it('moves over HTTP, and the registries answer as on that day', async () => {
    expect(await (await fetch(`${mocks.url}/__clock`)).json()).toEqual({ today: MOCK_TODAY });
    expect((await lookup('/ai-files', ['decision']))?.decision).toBeNull();
    const moved = await fetch(`${mocks.url}/__clock`, { method: 'POST', body: JSON.stringify({ today: '2026-12-20' }) });
    expect(await moved.json()).toEqual({ today: '2026-12-20' });
    expect((await lookup('/ai-files', ['decision']))?.decision?.decidedOn).toBe('2026-12-14');
    mocks.setToday('2026-01-05');
    expect(await lookup('/plasta', ['registration'])).toBeUndefined();
    expect((await fetch(`${mocks.url}/__clock`, { method: 'POST', body: JSON.stringify({ today: 'soon' }) })).status).toBe(400);
    expect(mocks.today()).toBe('2026-01-05');
  });
});
