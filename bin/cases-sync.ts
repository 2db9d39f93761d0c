// npm run cases:sync -- --institution AI FILE.jsonl: an institution's case-management system
// feeds the case repertory. One case per line; each line says the state the case should be in
// (open, or closed on a day). Idempotent: a case already in that state is left alone. Every line
// is checked first, and a file with one bad line changes nothing; each change is journaled.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import { loadPolicy } from '../lib/access/policy.ts';
import { Avs } from '../lib/avs.ts';
import { closeCaseJournaled, openCaseJournaled } from '../lib/cases/changes.ts';
import { RepertoryCaseReference, type CaseRecord } from '../lib/cases/store.ts';
import { isoDate, systemClock } from '../lib/clock.ts';
import { loadConfig } from '../lib/config.ts';
import { logTo } from '../lib/log.ts';
import { Institution, loadCatalogue } from '../lib/schema/catalogue.ts';
import { openStores } from '../lib/stores.ts';
import { MOCK_CASE_SEED } from '../mocks/cases.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run cases:sync -- --institution <AC|AI|AS|PC|CII> [--operator NAME] FILE.jsonl
  Feeds the case repertory from an institution's case-management system: one case per line,
  {"avs": "756.…", "caseReference": "AI-GE-2026-0815", "openedOn": "2026-06-15", "closedOn": null}
  (openedOn optional, default today; closedOn a date closes the case). Idempotent. Every line is
  checked first: a bad line is reported by its number and nothing of the file is applied. Each
  change is journaled in the access log (action CASE_OPENED or CASE_CLOSED), by the operator
  (default: the system user). Needs REDIS_URL (the repertory of a running deployment).
  Exit codes: 0 applied, 1 the file was refused, 2 cannot run.`);

logTo(pino.destination(2));

const Line = z.strictObject({
  avs: Avs,
  caseReference: RepertoryCaseReference,
  openedOn: z.iso.date().optional(),
  closedOn: z.iso.date().nullable().optional(),
});
type Line = z.infer<typeof Line>;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { institution: { type: 'string' }, operator: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const institution = Institution.safeParse(args.values.institution);
  const file = args.positionals[0];
  if (!institution.success || !file || args.positionals.length > 1) {
    console.error('usage: npm run cases:sync -- --institution <AC|AI|AS|PC|CII> FILE.jsonl (see --help)');
    return 2;
  }
  const config = loadConfig();
  if (!config.redisUrl) {
    console.error('REDIS_URL is not set: without it the case repertory lives in memory inside the running stack (npm start), and there is none here to feed.');
    return 2;
  }

  // 1. Every line read and checked before anything is applied.
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const faults: string[] = [];
  const lines: { n: number; line: Line }[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    const n = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      faults.push(`${file}:${n}: not JSON: ${(e as Error).message}`);
      return;
    }
    const parsed = Line.safeParse(json);
    if (!parsed.success) {
      faults.push(`${file}:${n}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(line)'} ${x.message}`).join('; ')}`);
      return;
    }
    const earlier = seen.get(parsed.data.caseReference);
    if (earlier !== undefined) faults.push(`${file}:${n}: the case reference "${parsed.data.caseReference}" is on line ${earlier} too`);
    seen.set(parsed.data.caseReference, n);
    lines.push({ n, line: parsed.data });
  });

  // A deployment on the mocks holds their cases too: a reference they hold is taken.
  const stores = openStores(config, config.useMocks ? { caseSeed: MOCK_CASE_SEED } : {});
  try {
    await stores.ready();
    const today = isoDate(systemClock.now());
    const current = await stores.cases.forPersons(lines.map((l) => l.line.avs));
    const isOpen = (l: Line) => current.get(l.avs)!.some((c: CaseRecord) => c.institution === institution.data && c.caseReference === l.caseReference && c.closedOn === null);
    for (const { n, line } of lines) {
      const holder = await stores.cases.holderOf(institution.data, line.caseReference);
      if (holder !== undefined && holder !== line.avs) faults.push(`${file}:${n}: the case reference "${line.caseReference}" is open at ${institution.data} for another person`);
      if (line.closedOn && line.openedOn && line.closedOn < line.openedOn) faults.push(`${file}:${n}: closedOn is before openedOn`);
    }
    if (faults.length) {
      console.error(`${file} refused, nothing applied:\n${faults.map((f) => `  - ${f}`).join('\n')}`);
      return 1;
    }

    // 2. Applied, each change journaled.
    const policy = loadPolicy(loadCatalogue(), config.policyFile);
    const header = {
      at: systemClock.now().toISOString(),
      requester: { institution: institution.data, role: 'case-management-system', subject: args.values.operator ?? process.env.USER ?? 'cases:sync' },
      purpose: null,
      caseReference: null,
      subgraph: `cases:sync ${basename(file)}`,
      requestId: randomUUID(),
      policy: `${policy.name} ${policy.version}`,
    };
    const counts = { opened: 0, closed: 0, unchanged: 0 };
    for (const { line } of lines) {
      const change = { avs: line.avs, institution: institution.data, caseReference: line.caseReference };
      const open = isOpen(line);
      if (!line.closedOn && !open) {
        await openCaseJournaled(stores.cases, stores.journal, { ...change, on: line.openedOn ?? today }, header);
        counts.opened++;
      } else if (line.closedOn && open) {
        await closeCaseJournaled(stores.cases, stores.journal, { ...change, on: line.closedOn }, header);
        counts.closed++;
      } else counts.unchanged++;
    }
    console.log(`${file}: ${counts.opened} opened, ${counts.closed} closed, ${counts.unchanged} unchanged (${institution.data})`);
    return 0;
  } catch (e) {
    console.error(`cases:sync stopped: ${(e as Error).message}`);
    return 2;
  } finally {
    await stores.close();
  }
}

process.exit(await main());
