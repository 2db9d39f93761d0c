// The mock registries over real HTTP: scenarios, data minimisation, generated persons,
// validation, counters, latency; plus the same handlers under msw's setupServer and the CLI.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setupServer } from 'msw/node';
import { ean13CheckDigit, formatAvs } from '../lib/avs.ts';
import { REGISTRY_PATHS, REGISTRY_SUBGRAPHS, type RegistrySubgraphName } from '../lib/config.ts';
import { LOOKUP_PATH } from '../subgraphs/shared/registry-schema.ts';
import { UnemploymentRecord } from '../subgraphs/unemployment/registry.ts';
import { DisabilityRecord } from '../subgraphs/disability/registry.ts';
import { SocialAssistanceRecord } from '../subgraphs/social-assistance/registry.ts';
import { SupplementaryBenefitsRecord } from '../subgraphs/supplementary-benefits/registry.ts';
import { startMockRegistries, type MockRegistries } from '../mocks/server.ts';
import { createRegistryHandlers } from '../mocks/handlers.ts';
import { generatePerson } from '../mocks/generator.ts';
import { lookupPerson } from '../mocks/registry-data.ts';
import type { MockPerson } from '../mocks/persons.ts';
import {
  PAINTER_AVS,
  ORP_ONLY_AVS,
  SOCIAL_ASSISTANCE_ONLY_AVS,
  PARTIAL_PENSION_AVS,
  UNKNOWN_AVS,
  SCENARIOS,
} from '../mocks/scenarios.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Written out here rather than imported, so a change to the mocks' section lists is caught.
const SECTIONS: Record<RegistrySubgraphName, string[]> = {
  unemployment: ['registration', 'entitlement', 'measures', 'employability'],
  disability: ['file', 'measures', 'decision', 'workCapacity', 'medical'],
  'social-assistance': ['dossier', 'benefits', 'situation'],
  'supplementary-benefits': ['entitlement', 'hypotheticalIncome'],
};
const SCHEMAS = {
  unemployment: UnemploymentRecord,
  disability: DisabilityRecord,
  'social-assistance': SocialAssistanceRecord,
  'supplementary-benefits': SupplementaryBenefitsRecord,
} as const;

type File = { avs: string } & Record<string, any>;

async function post(base: string, registry: RegistrySubgraphName, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${REGISTRY_PATHS[registry]}${LOOKUP_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function lookup(
  base: string,
  registry: RegistrySubgraphName,
  avs: string[],
  sections: string[] = SECTIONS[registry],
): Promise<File[]> {
  const { status, json } = await post(base, registry, { requests: avs.map((a) => ({ avs: a, sections })) });
  expect(status, JSON.stringify(json)).toBe(200);
  return json.files;
}

/** Deterministic "random" valid AVS numbers (a seeded LCG), so failures reproduce. */
function randomAvs(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const out = new Set<string>();
  while (out.size < count) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const first12 = `756${String(s % 1_000_000_000).padStart(9, '0')}`;
    const avs = formatAvs(first12 + ean13CheckDigit(first12));
    if (!SCENARIOS.has(avs)) out.add(avs);
  }
  return [...out];
}

const plusTwoYearsMinusOneDay = (iso: string) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + 2);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
};
const linearPension = (degree: number) =>
  degree < 40 ? 0 : degree < 50 ? 25 + (degree - 40) * 2.5 : degree < 70 ? degree : 100;

/** The generator's cross-field and cross-institution rules; ISO dates compare as strings. */
function expectConsistent(p: MockPerson): void {
  const inRange = (d: string) => expect(d >= '2023-01-01' && d <= '2026-12-31', d).toBe(true);
  const ac = p.unemployment;
  if (ac) {
    inRange(ac.registration.registeredSince);
    const e = ac.entitlement;
    if (e) {
      expect([90, 200, 260, 400, 520]).toContain(e.entitledDays);
      expect(e.frameworkEnd).toBe(plusTwoYearsMinusOneDay(e.frameworkStart));
      expect(e.remainingDays).toBeLessThanOrEqual(e.entitledDays);
      expect(e.exhaustionDate > e.frameworkStart).toBe(true);
      expect(e.exhaustionDate <= e.frameworkEnd).toBe(true);
      inRange(e.frameworkStart);
    }
    for (const m of ac.measures) {
      expect(m.from <= m.to).toBe(true);
      expect(m.from >= ac.registration.registeredSince).toBe(true);
      inRange(m.from);
      inRange(m.to);
    }
    if (ac.employability) expect(ac.employability.assessedOn >= ac.registration.registeredSince).toBe(true);
  }
  const ai = p.disability;
  if (ai) {
    inRange(ai.file.filedOn);
    if (ai.workCapacity) {
      expect(ai.medical).not.toBeNull();
      expect(ai.workCapacity.assessedOn >= ai.file.filedOn).toBe(true);
      expect(ai.workCapacity.adaptedActivityPercent).toBeGreaterThanOrEqual(ai.workCapacity.usualActivityPercent);
    }
    if (ai.decision) {
      expect(['DECIDED', 'CLOSED']).toContain(ai.file.status);
      expect(ai.decision.pension).toBe(linearPension(ai.decision.invalidityDegree));
      expect(ai.decision.decidedOn >= (ai.workCapacity?.assessedOn ?? ai.file.filedOn)).toBe(true);
      inRange(ai.decision.decidedOn);
    }
    for (const m of ai.measures) {
      expect(m.from <= m.to).toBe(true);
      expect(m.from >= ai.file.filedOn).toBe(true);
    }
  }
  const as = p.socialAssistance;
  if (as) {
    inRange(as.dossier.openedOn);
    if (as.benefits?.complementsUnemployment) {
      expect(ac).not.toBeNull();
      expect(as.dossier.openedOn >= ac!.registration.registeredSince).toBe(true);
    }
  }
  const pc = p.supplementaryBenefits;
  if (pc) {
    inRange(pc.entitlement.entitledSince);
    if (pc.hypotheticalIncome.yearlyAmount !== null) expect(ai?.decision).toBeTruthy();
    if (ai?.decision) expect(pc.entitlement.entitledSince > ai.decision.decidedOn).toBe(true);
  }
}

let mocks: MockRegistries;
beforeAll(async () => {
  mocks = await startMockRegistries({ port: 0 });
});
afterAll(async () => {
  await mocks?.close();
});

describe('mock registries: fixed scenarios', () => {
  it('serves on an actual port when asked for port 0, with a health check and 404 elsewhere', async () => {
    expect(mocks.port).toBeGreaterThan(0);
    expect(mocks.url).toBe(`http://127.0.0.1:${mocks.port}`);
    expect((await fetch(`${mocks.url}/healthz`)).status).toBe(200);
    const missing = await fetch(`${mocks.url}/plasta/v1/nothing-here`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatch(/No mock registry/);
  });

  it("serves the painter's four files as the story tells", async () => {
    const [ac] = await lookup(mocks.url, 'unemployment', [PAINTER_AVS]);
    const [ai] = await lookup(mocks.url, 'disability', [PAINTER_AVS]);
    const [as] = await lookup(mocks.url, 'social-assistance', [PAINTER_AVS]);
    const pc = await lookup(mocks.url, 'supplementary-benefits', [PAINTER_AVS]);
    expect(pc).toEqual([]);

    expect(UnemploymentRecord.parse(ac)).toEqual(ac);
    expect(ac).toEqual({
      avs: PAINTER_AVS,
      registration: { registeredSince: '2026-02-02', office: 'ORP Genève – Jonction', counsellor: 'Sophie Meyer' },
      entitlement: { frameworkStart: '2026-02-02', frameworkEnd: '2028-02-01', entitledDays: 260, remainingDays: 50, exhaustionDate: '2027-01-29' },
      measures: [{ kind: 'COURSE', title: 'Office skills (bureautique)', provider: 'IFAGE', from: '2026-05-04', to: '2026-07-31' }],
      employability: { placeable: true, assessedOn: '2026-05-20' },
    });

    expect(DisabilityRecord.parse(ai)).toEqual(ai);
    expect(ai!.file).toEqual({ filedOn: '2026-06-15', status: 'EARLY_INTERVENTION', caseManager: 'Laura Rossi' });
    expect(ai!.measures.map((m: any) => [m.kind, m.from, m.to])).toEqual([
      ['EARLY_INTERVENTION', '2026-07-01', '2026-08-31'],
      ['RETRAINING', '2026-09-07', '2027-06-30'],
    ]);
    expect(ai!.measures[1].title).toBe('Building-manager training (concierge CFC)');
    expect(ai!.decision).toBeNull();
    expect(ai!.workCapacity).toEqual({ usualActivityPercent: 0, adaptedActivityPercent: 100, assessedOn: '2026-10-12' });
    expect(ai!.medical.diagnoses).toEqual(['Bilateral knee osteoarthritis (gonarthrosis)']);
    expect(ai!.medical.limitations).toContain('No kneeling or squatting');
    expect(ai!.medical.limitations).toHaveLength(3);

    expect(SocialAssistanceRecord.parse(as)).toEqual(as);
    expect(as).toEqual({
      avs: PAINTER_AVS,
      dossier: { openedOn: '2026-03-02', center: 'CAS Plainpalais', socialWorker: 'Marc Dubois' },
      benefits: { monthlyAmount: 1180.5, complementsUnemployment: true },
      situation: { issues: ['FAMILY', 'HEALTH'] },
    });

    // The story's order: ORP registration, then social assistance and the AI request, with the
    // unemployment entitlement exhausting only after the AI filing.
    const registered = ac!.registration.registeredSince;
    expect(ai!.file.filedOn > registered).toBe(true);
    expect(as!.dossier.openedOn > registered).toBe(true);
    expect(ac!.entitlement.exhaustionDate > ai!.file.filedOn).toBe(true);
    expect(ai!.workCapacity.assessedOn > ai!.file.filedOn).toBe(true);
    expect(ac!.entitlement.remainingDays).toBeGreaterThan(0);
  });

  it('serves the other scenarios at exactly the institutions the contract names', async () => {
    const all = [PAINTER_AVS, ORP_ONLY_AVS, SOCIAL_ASSISTANCE_ONLY_AVS, PARTIAL_PENSION_AVS, UNKNOWN_AVS];
    const holders = async (registry: RegistrySubgraphName) =>
      (await lookup(mocks.url, registry, all)).map((f) => f.avs);
    // Files come back in request order; persons without a file are absent.
    expect(await holders('unemployment')).toEqual([PAINTER_AVS, ORP_ONLY_AVS]);
    expect(await holders('disability')).toEqual([PAINTER_AVS, PARTIAL_PENSION_AVS]);
    expect(await holders('social-assistance')).toEqual([PAINTER_AVS, SOCIAL_ASSISTANCE_ONLY_AVS]);
    expect(await holders('supplementary-benefits')).toEqual([PARTIAL_PENSION_AVS]);

    const [orp] = await lookup(mocks.url, 'unemployment', [ORP_ONLY_AVS]);
    expect(orp!.entitlement.remainingDays).toBeGreaterThan(0);
    expect(orp!.employability).not.toBeNull();
    const [sa] = await lookup(mocks.url, 'social-assistance', [SOCIAL_ASSISTANCE_ONLY_AVS]);
    expect(sa!.benefits.complementsUnemployment).toBe(false);

    const [ai] = await lookup(mocks.url, 'disability', [PARTIAL_PENSION_AVS]);
    const [pc] = await lookup(mocks.url, 'supplementary-benefits', [PARTIAL_PENSION_AVS]);
    expect(ai!.file.status).toBe('DECIDED');
    expect(ai!.decision).toMatchObject({ invalidityDegree: 45, pension: 37.5 });
    expect(ai!.decision.decidedOn).toMatch(/^2025-/);
    expect(ai!.workCapacity).not.toBeNull();
    expect(ai!.medical).not.toBeNull();
    expect(pc!.entitlement.entitledSince > ai!.decision.decidedOn).toBe(true);
    expect(pc!.entitlement.monthlyAmount).toBeGreaterThan(0);
    expect(pc!.hypotheticalIncome).toEqual({ yearlyAmount: 21450, orpRegistrationRequired: true });

    for (const avs of all) expectConsistent(lookupPerson(avs));
  });

  it('knows 756.0000.0000.19 at no institution', async () => {
    for (const registry of REGISTRY_SUBGRAPHS) {
      expect(await lookup(mocks.url, registry, [UNKNOWN_AVS])).toEqual([]);
    }
  });
});

describe('mock registries: data minimisation', () => {
  it('returns only the requested sections, plus the existence section', async () => {
    const [ac] = await lookup(mocks.url, 'unemployment', [PAINTER_AVS], ['entitlement']);
    expect(Object.keys(ac!).sort()).toEqual(['avs', 'entitlement', 'registration']);
    const [ai] = await lookup(mocks.url, 'disability', [PAINTER_AVS], ['medical']);
    expect(Object.keys(ai!).sort()).toEqual(['avs', 'file', 'medical']);
    const [aiFile] = await lookup(mocks.url, 'disability', [PAINTER_AVS], ['file']);
    expect(Object.keys(aiFile!).sort()).toEqual(['avs', 'file']);
    const [as] = await lookup(mocks.url, 'social-assistance', [PAINTER_AVS], ['situation']);
    expect(as).toEqual({ avs: PAINTER_AVS, dossier: expect.any(Object), situation: { issues: ['FAMILY', 'HEALTH'] } });
    const [pc] = await lookup(mocks.url, 'supplementary-benefits', [PARTIAL_PENSION_AVS], ['entitlement']);
    expect(Object.keys(pc!).sort()).toEqual(['avs', 'entitlement']);
  });

  it('keeps a null section as null rather than dropping it', async () => {
    const [ai] = await lookup(mocks.url, 'disability', [PAINTER_AVS], ['decision']);
    expect(ai).toHaveProperty('decision', null);
  });

  it('accepts the 13-digit form and answers with the canonical AVS', async () => {
    const files = await lookup(mocks.url, 'unemployment', [PAINTER_AVS.replaceAll('.', '')], ['registration']);
    expect(files.map((f) => f.avs)).toEqual([PAINTER_AVS]);
  });
});

describe('mock registries: generated persons', () => {
  const sample = randomAvs(300, 20260202);

  it('parse with the registry schemas, are stable across calls, match the generator and differ between persons', async () => {
    const seenPerRegistry: Record<string, number> = {};
    for (const registry of REGISTRY_SUBGRAPHS) {
      const first = await lookup(mocks.url, registry, sample);
      const second = await lookup(mocks.url, registry, sample);
      expect(second).toEqual(first);
      seenPerRegistry[registry] = first.length;
      const distinct = new Set<string>();
      for (const file of first) {
        const parsed = SCHEMAS[registry].safeParse(file);
        expect(parsed.success, `${registry} ${file.avs}: ${parsed.error?.message}`).toBe(true);
        expect(Object.keys(file).sort()).toEqual(['avs', ...SECTIONS[registry]].sort());
        const { avs, ...data } = file;
        distinct.add(JSON.stringify(data));
        // What the server answers is what the generator (the source of truth) holds.
        const person = generatePerson(avs);
        const record =
          registry === 'unemployment' ? person.unemployment
          : registry === 'disability' ? person.disability
          : registry === 'social-assistance' ? person.socialAssistance
          : person.supplementaryBenefits;
        expect(file).toEqual(record);
      }
      // Different numbers, different people: collisions would mean the seed ignores the AVS.
      expect(distinct.size).toBeGreaterThan(first.length * 0.95);
    }
    // Roughly the intended shares (45 / 20 / 25 / 12 %): every registry knows some, none knows all.
    expect(seenPerRegistry.unemployment).toBeGreaterThan(90);
    expect(seenPerRegistry.unemployment).toBeLessThan(180);
    for (const registry of REGISTRY_SUBGRAPHS) {
      expect(seenPerRegistry[registry]).toBeGreaterThan(15);
      expect(seenPerRegistry[registry]).toBeLessThan(200);
    }
  });

  it('every generated record parses and is internally consistent', () => {
    const counts = { ac: 0, ai: 0, as: 0, pc: 0 };
    for (const avs of randomAvs(2000, 7)) {
      const p = generatePerson(avs);
      if (p.unemployment) counts.ac++, UnemploymentRecord.parse(p.unemployment);
      if (p.disability) counts.ai++, DisabilityRecord.parse(p.disability);
      if (p.socialAssistance) counts.as++, SocialAssistanceRecord.parse(p.socialAssistance);
      if (p.supplementaryBenefits) counts.pc++, SupplementaryBenefitsRecord.parse(p.supplementaryBenefits);
      expectConsistent(p);
    }
    expect(counts.ac / 2000).toBeGreaterThan(0.4);
    expect(counts.ac / 2000).toBeLessThan(0.5);
    expect(counts.ai / 2000).toBeGreaterThan(0.16);
    expect(counts.ai / 2000).toBeLessThan(0.24);
    expect(counts.as / 2000).toBeGreaterThan(0.21);
    expect(counts.as / 2000).toBeLessThan(0.29);
    expect(counts.pc / 2000).toBeGreaterThan(0.09);
    expect(counts.pc / 2000).toBeLessThan(0.15);
  });

  it('is deterministic: the same AVS gives the same person, another AVS another', () => {
    const [a, b] = sample as [string, string];
    expect(generatePerson(a)).toEqual(generatePerson(a));
    expect(JSON.stringify(generatePerson(a))).not.toBe(JSON.stringify(generatePerson(b)));
  });
});

describe('mock registries: bad requests', () => {
  const expect400 = async (registry: RegistrySubgraphName, body: unknown, message: RegExp) => {
    const { status, json } = await post(mocks.url, registry, body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
  };

  it('refuses bad JSON, non-lookup bodies, bad AVS numbers, unknown sections and oversized calls, naming the fault', async () => {
    await expect400('unemployment', '{"requests": [', /not valid JSON/);
    await expect400('disability', { requests: [] }, /requests/);
    await expect400('disability', { requests: [{ avs: PAINTER_AVS }] }, /sections/);
    await expect400('disability', { requests: [{ avs: PAINTER_AVS, sections: ['file'] }], extra: 1 }, /extra|unrecognized/i);
    await expect400('social-assistance', { requests: [{ avs: '756.1234.5678.98', sections: ['dossier'] }] }, /756\.1234\.5678\.98.*check digit/);
    await expect400('social-assistance', { requests: [{ avs: '123', sections: ['dossier'] }] }, /requests\[0\]\.avs/);
    // A real section of another registry is still unknown here.
    await expect400('unemployment', { requests: [{ avs: PAINTER_AVS, sections: ['registration', 'medical'] }] }, /unknown section "medical".*unemployment/);
    const tooMany = randomAvs(1001, 99).map((avs) => ({ avs, sections: ['entitlement'] }));
    await expect400('supplementary-benefits', { requests: tooMany }, /at most 1000/);
    // Exactly 1000 is fine.
    expect((await post(mocks.url, 'supplementary-benefits', { requests: tooMany.slice(0, 1000) })).status).toBe(200);
  });

  it('survives a hostile Host header and an aborted upload, and keeps serving', async () => {
    const { port } = mocks;
    const raw = (headers: Record<string, string>, body: string, abort: boolean) =>
      new Promise<number | 'aborted'>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/plasta/v1/files/lookup', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve('aborted'));
        req.write(body);
        if (abort) setTimeout(() => (req.destroy(), resolve('aborted')), 50);
        else req.end();
      });
    expect(await raw({ host: '%%bad host%%', 'content-type': 'application/json' }, 'garbage', false)).toBe(400);
    expect(await raw({ 'content-length': '5000' }, '{"requests": [', true)).toBe('aborted');
    expect(await lookup(mocks.url, 'unemployment', [PAINTER_AVS], ['registration'])).toHaveLength(1);
  });
});

describe('mock registries: counters and latency', () => {
  it('counts calls per registry and every person-section request, in order, and resets', async () => {
    mocks.resetCounters();
    expect(mocks.calls).toEqual({ unemployment: 0, disability: 0, 'social-assistance': 0, 'supplementary-benefits': 0 });
    expect(mocks.lookups).toEqual([]);

    await lookup(mocks.url, 'unemployment', [PAINTER_AVS, ORP_ONLY_AVS], ['entitlement']);
    await lookup(mocks.url, 'disability', [UNKNOWN_AVS], ['file', 'decision']);
    await lookup(mocks.url, 'unemployment', [PAINTER_AVS], ['measures']);
    await post(mocks.url, 'disability', 'not json'); // no lookup request in it: not a call

    expect(mocks.calls).toEqual({ unemployment: 2, disability: 1, 'social-assistance': 0, 'supplementary-benefits': 0 });
    expect(mocks.lookups).toEqual([
      { registry: 'unemployment', avs: PAINTER_AVS, sections: ['entitlement'] },
      { registry: 'unemployment', avs: ORP_ONLY_AVS, sections: ['entitlement'] },
      { registry: 'disability', avs: UNKNOWN_AVS, sections: ['file', 'decision'] },
      { registry: 'unemployment', avs: PAINTER_AVS, sections: ['measures'] },
    ]);
    const remote = await (await fetch(`${mocks.url}/__calls`)).json();
    expect(remote).toEqual({ calls: mocks.calls, lookups: 4 });

    mocks.resetCounters();
    expect(mocks.calls.unemployment).toBe(0);
    expect(mocks.lookups).toHaveLength(0);
    expect((await (await fetch(`${mocks.url}/__calls`)).json()).lookups).toBe(0);
  });

  it('delays answers by the latency option', async () => {
    const latencyMs = 250;
    const slow = await startMockRegistries({ port: 0, latencyMs });
    try {
      const started = performance.now();
      const files = await lookup(slow.url, 'social-assistance', [PAINTER_AVS], ['dossier']);
      const elapsed = performance.now() - started;
      expect(files).toHaveLength(1);
      // 1 ms of slack: timers are scheduled on a millisecond clock coarser than performance.now().
      expect(elapsed).toBeGreaterThanOrEqual(latencyMs - 1);
    } finally {
      await slow.close();
    }
  });

  it('closes with an idle keep-alive connection open', async () => {
    const other = await startMockRegistries({ port: 0 });
    expect((await fetch(`${other.url}/healthz`)).status).toBe(200); // leaves a pooled socket
    const closed = await Promise.race([other.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 2000))]);
    expect(closed).toBe('closed');
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });
});

describe('mock registries: the same handlers under msw setupServer', () => {
  const calls: string[] = [];
  const intercept = setupServer(...createRegistryHandlers({ onCall: (registry) => calls.push(registry) }));
  beforeAll(() => intercept.listen({ onUnhandledRequest: 'bypass' }));
  afterAll(() => intercept.close());

  it('answers in-process at any origin', async () => {
    const files = await lookup('http://pc.registry.invalid/some/prefix', 'supplementary-benefits', [PARTIAL_PENSION_AVS, PAINTER_AVS]);
    expect(files.map((f) => f.avs)).toEqual([PARTIAL_PENSION_AVS]);
    expect(calls).toEqual(['supplementary-benefits']);
  });
});

describe('mock registries: the CLI', () => {
  it('starts on the given port, serves the same persons as this process, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'mocks/main.ts', '--port', '0', '--latency', '0'], {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('exit', (code) => reject(new Error(`mocks exited with ${code}: ${err}`)));
      });
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0];
      expect(url, line).toBeDefined();
      for (const registry of REGISTRY_SUBGRAPHS) expect(line).toContain(`${url}${REGISTRY_PATHS[registry]}`);

      // Same number, same data in another process: the generator has no hidden state.
      const sample = randomAvs(40, 4242).concat(PAINTER_AVS);
      for (const registry of REGISTRY_SUBGRAPHS) {
        expect(await lookup(url!, registry, sample)).toEqual(await lookup(mocks.url, registry, sample));
      }

      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
