// The DPO tooling (issue 7): the policy review model and its renderings, the policy diff in
// a DPO's words, the replay of a recorded access log against a new policy, the access-log
// view and its CSV export, the gateway route handlers, and the two commands.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy, SAMPLE_POLICY_PATH, type Policy } from '../lib/access/policy.ts';
import type { Requester } from '../lib/access/requester.ts';
import { Journal } from '../lib/audit/journal.ts';
import type { AccessLogEntry, AuditLog } from '../lib/audit/log.ts';
import { MemoryAuditLog } from '../lib/audit/memory.ts';
import { RedisAuditLog } from '../lib/audit/redis.ts';
import { RedisCaseRepertory } from '../lib/cases/redis.ts';
import { HmacSigner } from '../lib/signing.ts';
import { RedisConsentStore } from '../lib/consents/redis.ts';
import { ConsentSigner } from '../lib/consents/signing.ts';
import type { ConsentRecord } from '../lib/consents/store.ts';
import type { CaseRecord } from '../lib/cases/store.ts';
import { renderAccessLogCsv, renderAccessLogHtml } from '../lib/policy-review/access-log-view.ts';
import { diffPolicies } from '../lib/policy-review/diff.ts';
import { DEFAULT_FISHING_THRESHOLDS } from '../lib/supervision/thresholds.ts';
import { csvField } from '../lib/policy-review/escape.ts';
import { renderPolicyHtml } from '../lib/policy-review/html.ts';
import { renderPolicyMarkdown } from '../lib/policy-review/markdown.ts';
import { buildPolicyReview, type Cell, type PolicyReview } from '../lib/policy-review/model.ts';
import { renderReplay, replayAccessLog } from '../lib/policy-review/replay.ts';
import { createAccessLogRoute, createPolicyPageRoute, dpoOnly, type DpoRequest, type DpoRouteHandler } from '../lib/policy-review/routes.ts';
import { authenticate } from '../gateway/authenticate.ts';
import { UserTokenVerifier } from '../lib/auth/user-token.ts';
import { readAccessLogFile, readPolicySource, readRedisAccessLog } from '../lib/policy-review/sources.ts';
import { closeRedis, createRedis, waitForRedis } from '../lib/redis/connection.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { checkCategoryCoverage } from '../lib/schema/category-coverage.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.ts';
import { gql, startTestStack, type TestStack } from './support/stack.ts';
import { runCommand } from './support/run-command.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const PAINTER = '756.1234.5678.97';
const OTHER = '756.9876.5432.17';
const catalogue = loadCatalogue();
const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
const sample = loadPolicy(catalogue);
const sampleJson = JSON.parse(readFileSync(SAMPLE_POLICY_PATH, 'utf8')) as PolicyJson;
const dir = mkdtempSync(join(tmpdir(), 'ciigraph-policy-review-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PolicyJson {
  consentConditions: { type: string }[];
  fishingSignals?: Record<string, number>;
  name: string;
  version: string;
  purposes: { code: string; description: string }[];
  roles: { id: string; institutions: string[]; description: string; consentRecipient: string; permissions: string[] }[];
  legalBases: { id: string; citation: string; summary: string; conditions: Record<string, unknown>[] }[];
  rules: { institution: string; roles: string[]; categories: Record<string, string> }[];
}

/** The sample policy with a change applied. */
function changed(edit: (p: PolicyJson) => void, file = 'changed.json'): Policy {
  const json = structuredClone(sampleJson);
  edit(json);
  return parsePolicy(json, catalogue, file);
}
const ruleOf = (p: PolicyJson, role: string) => p.rules.find((r) => r.roles.includes(role))!;

/** How many institution × role × category cells a legal basis releases. */
function pairsUnder(policy: Policy, basisId: string): number {
  let count = 0;
  for (const role of policy.roles.values())
    for (const inst of role.institutions)
      for (const c of catalogue.categories) {
        const r = policy.releaseFor(inst, role.id, c.id);
        if (r?.kind === 'legalBasis' && r.basis.id === basisId) count++;
      }
  return count;
}

const cellAt = (review: PolicyReview, role: string, institution: string, category: string): Cell => {
  const g = review.groups.find((x) => x.role === role && x.institutions.includes(institution as never));
  if (!g) throw new Error(`no group for ${institution} ${role}`);
  return g.cells[category]!;
};

let n = 0;
function entry(e: Partial<AccessLogEntry> & Pick<AccessLogEntry, 'institution' | 'role' | 'category' | 'decision'>): AccessLogEntry {
  n++;
  return {
    id: String(n),
    at: `2026-11-${String(10 + (n % 10)).padStart(2, '0')}T09:00:00.000Z`,
    subject: `${e.role}-1`,
    avs: PAINTER,
    legalBasis: null,
    consentId: null,
    purpose: 'cii',
    caseReference: null,
    subgraph: 'unemployment',
    requestId: `req-${n}`,
    action: 'READ',
    client: null,
    reason: null,
    rule: null,
    condition: null,
    policy: null,
    ...e,
  };
}

describe('the review model', () => {
  const review = buildPolicyReview(sample, catalogue, sdl);

  it('lists every catalogued category, with its sensitivity, and every personal-data field of the supergraph', () => {
    expect(review.categories.map((c) => c.id)).toEqual(catalogue.categories.map((c) => c.id));
    // DOMAIN.md's fourteen, the consent records and the access log at least.
    expect(review.categories.length).toBeGreaterThanOrEqual(16);
    expect(review.categories.find((c) => c.id === 'ai.medical')).toMatchObject({ sensitive: true, confinedTo: 'AI', institution: 'AI' });
    expect(review.categories.find((c) => c.id === 'ac.entitlement')).toMatchObject({ sensitive: false });

    const fields = new Map(review.fields.map((f) => [f.coordinate, f]));
    // Every field the coverage check knows under Person, and the access log under Query.
    for (const [coordinate, category] of checkCategoryCoverage(sdl, catalogue).fieldCategories) {
      expect(fields.get(coordinate)?.category, coordinate).toBe(category);
    }
    expect(fields.get('Query.accessLog')).toMatchObject({ category: 'audit.accessLog', declared: true, sensitive: true });
    expect(fields.get('AccessLogEntry.subject')).toMatchObject({ category: 'audit.accessLog', declared: false });
    expect(fields.get('DailyAllowanceEntitlement.remainingDays')).toMatchObject({ category: 'ac.entitlement', declared: false, returnType: 'Int!' });
    expect(fields.get('UnemploymentFile.entitlement')).toMatchObject({ declared: true, returnType: 'DailyAllowanceEntitlement' });
    expect(fields.get('DisabilityFile.medical')?.description).toMatch(/medical service/);
    expect(fields.has('Person.avs')).toBe(false);
    expect(review.categories.find((c) => c.id === 'ac.entitlement')!.fields).toContain('DailyAllowanceEntitlement.exhaustionDate');
    expect(review.warnings).toEqual([]);
  });

  it('gives each requester the rule of the policy for every category: legal basis with citation and conditions, consent, never or no rule', () => {
    expect(cellAt(review, 'case-manager', 'AI', 'ac.entitlement')).toMatchObject({ kind: 'consent', recipient: 'own', rule: 1 });
    expect(cellAt(review, 'counsellor', 'AC', 'ai.medical')).toMatchObject({ kind: 'never', rule: 0 });
    expect(cellAt(review, 'case-manager', 'AI', 'ac.registration')).toEqual({
      kind: 'legalBasis',
      basisId: 'lpga-32',
      citation: 'LPGA art. 32 al. 1 et 2',
      conditionLabels: ['purpose stated', 'case reference', 'open case'],
      conditions: [
        'the request states its purpose',
        'the request names the individual case (case reference)',
        "the person is an open case of the requester's institution (of the CII for a CII referent), the case the request names if it names one",
      ],
      must: "state a purpose, give a case reference and concern an open case of the requester's institution",
      rule: 1,
    });
    // "purpose stated" goes without saying next to the list of purposes.
    expect(cellAt(review, 'social-worker', 'AS', 'ac.entitlement')).toMatchObject({ citation: 'LACI art. 85f', conditionLabels: ['purpose cii, placement or benefit-assessment', 'open case'] });
    // Every release by consent holds only within an open case, too (consentConditions).
    expect(cellAt(review, 'case-manager', 'AI', 'ac.entitlement')).toMatchObject({ kind: 'consent', conditionLabels: ['open case'], must: "concern an open case of the requester's institution" });
    expect(cellAt(review, 'cii-referent', 'PC', 'as.benefits')).toMatchObject({ kind: 'consent', recipient: 'CII' });
    expect(cellAt(review, 'dpo', 'AS', 'ac.registration')).toEqual({ kind: 'none' });
    expect(cellAt(review, 'physician', 'AI', 'consent.records')).toEqual({ kind: 'none' });

    // The model agrees with the policy for every institution of every group and every category.
    for (const g of review.groups) {
      for (const inst of g.institutions) {
        for (const c of catalogue.categories) {
          const release = sample.releaseFor(inst, g.role, c.id);
          expect(g.cells[c.id]!.kind, `${inst} ${g.role} ${c.id}`).toBe(release?.kind ?? 'none');
        }
      }
    }
  });

  it('shows a role with the same rule everywhere once, and splits it when institutions differ', () => {
    const referents = review.groups.filter((g) => g.role === 'cii-referent');
    expect(referents).toHaveLength(1);
    expect(referents[0]).toMatchObject({ institutions: ['AC', 'AI', 'AS', 'PC', 'CII'], everywhere: true, rules: [5] });
    expect(review.groups.map((g) => g.key)).toEqual([
      'counsellor@AC', 'case-manager@AI', 'physician@AI', 'social-worker@AS', 'pc-officer@PC', 'cii-referent@AC+AI+AS+PC+CII', 'dpo@AC+AI+AS+PC+CII', 'data-subject@CII',
    ]);

    const split = changed((p) => {
      const star = ruleOf(p, 'cii-referent');
      p.rules = p.rules.filter((r) => r !== star);
      p.rules.push({ institution: 'AC', roles: ['cii-referent'], categories: { ...star.categories, 'ai.decision': 'lpga-32' } });
      for (const inst of ['AI', 'AS', 'PC', 'CII']) p.rules.push({ institution: inst, roles: ['cii-referent'], categories: { ...star.categories } });
    });
    const groups = buildPolicyReview(split, catalogue, sdl).groups.filter((g) => g.role === 'cii-referent');
    expect(groups.map((g) => [g.institutions, g.everywhere])).toEqual([
      [['AC'], false],
      // Same cells, but four rules of the file: still one column per rule set.
      [['AI'], false],
      [['AS'], false],
      [['PC'], false],
      [['CII'], false],
    ]);
    expect(groups[0]!.cells['ai.decision']).toMatchObject({ kind: 'legalBasis', basisId: 'lpga-32' });
    expect(groups[1]!.cells['ai.decision']).toMatchObject({ kind: 'consent' });
  });

  it('lists legal bases with summaries, conditions and where they apply; purposes, roles and actions', () => {
    const lpga = review.legalBases.find((b) => b.id === 'lpga-32')!;
    expect(lpga.citation).toBe('LPGA art. 32 al. 1 et 2');
    expect(lpga.summary).toMatch(/written, reasoned request/);
    expect(lpga.conditions.map((c) => c.type)).toEqual(['purposeRequired', 'caseReferenceRequired', 'openCase']);
    expect(lpga.usedBy).toContainEqual({ group: 'case-manager@AI', category: 'ac.registration' });
    expect(lpga.usedBy).not.toContainEqual({ group: 'case-manager@AI', category: 'ac.entitlement' });
    expect(review.legalBases.find((b) => b.id === 'ndsg-25')!.conditions[0]).toMatchObject({ type: 'requesterIsThePerson', label: 'own data only' });
    expect(review.purposes.map((p) => p.code)).toEqual(['cii', 'placement', 'benefit-assessment', 'early-intervention']);
    expect(review.roles.find((r) => r.id === 'cii-referent')).toMatchObject({ consentRecipient: 'CII', institutions: ['AC', 'AI', 'AS', 'PC', 'CII'] });
    const grant = review.actions.find((a) => a.coordinate === 'Mutation.grantConsent')!;
    expect(grant.permission).toBe('consent.record');
    expect(grant.roles).toContain('counsellor');
    expect(grant.roles).not.toContain('physician');
    expect(grant.roles).not.toContain('dpo');
  });

  it('warns about a legal basis no rule uses', () => {
    const unused = changed((p) => p.legalBases.push({ id: 'unused', citation: 'LX art. 1', summary: 'Nothing.', conditions: [] }));
    expect(buildPolicyReview(unused, catalogue, sdl).warnings).toEqual(['legal basis "unused" (LX art. 1) is used by no rule']);
  });
});

describe('the HTML page and the Markdown report', () => {
  const hostile = changed((p) => {
    p.name = '<script>alert("name")</script> & co';
    p.roles.find((r) => r.id === 'counsellor')!.description = '"><img src=x onerror=alert(1)>';
    p.purposes[0]!.description = '</style><script>alert(2)</script>';
    p.legalBases.find((b) => b.id === 'lpga-32')!.citation = 'LPGA <b>32</b> | [x](javascript:alert(3))';
  });

  it('escapes every string of the policy: nothing of it becomes markup', () => {
    const { html } = renderPolicyHtml(buildPolicyReview(hostile, catalogue, sdl));
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &amp; co');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('LPGA &lt;b&gt;32&lt;/b&gt;');
    expect(html).not.toMatch(/<img|<b>32|alert\("name"\)/);
    // Our one inline script, nothing else.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<\/style>/g)).toHaveLength(1);
  });

  it('is self-contained: no external resource, and a CSP that admits only its own inline script', () => {
    const { html, contentSecurityPolicy } = renderPolicyHtml(buildPolicyReview(sample, catalogue, sdl));
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(html).toContain(`script-src &#39;sha256-${hash}&#39;`);
    expect(contentSecurityPolicy).toContain(`script-src 'sha256-${hash}'`);
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).toContain("frame-ancestors 'none'");
  });

  it('renders the matrix and every rule with the attributes the filters use', () => {
    const review = buildPolicyReview(sample, catalogue, sdl);
    const { html } = renderPolicyHtml(review);
    expect(html).toMatch(/<td class="cell consent" data-filter data-institutions="AI" data-role="case-manager" data-kind="consent" data-cell="case-manager@AI\|ac.entitlement"[^>]*><span class="what">consent<\/span><span class="if">if open case<\/span><\/td>/);
    expect(html).toMatch(/data-cell="counsellor@AC\|ai.medical"[^>]*><span class="what">never<\/span>/);
    expect(html).toContain('data-institutions="AC AI AS PC CII" data-role="cii-referent"');
    // One row per requester group and category a rule names (92 for the sample as of DOMAIN.md).
    const named = review.groups.reduce((n, g) => n + Object.values(g.cells).filter((c) => c.kind !== 'none').length, 0);
    expect(named).toBeGreaterThanOrEqual(92);
    expect(html.match(/<tr data-filter data-institutions=/g)).toHaveLength(named);
  });

  it('writes the same review as Markdown, escaped', () => {
    const md = renderPolicyMarkdown(buildPolicyReview(sample, catalogue, sdl));
    expect(md).toContain('# Access policy review: ciigraph sample policy');
    expect(md).toMatch(/^\| Category \| AC counsellor \| AI case-manager \| AI physician \| AS social-worker \| PC pc-officer \| cii-referent \(every institution\) \| dpo \(every institution\) \| CII data-subject \|$/m);
    expect(md).toMatch(/^\| `ai.medical` \(sensitive, stays at AI\) \| \*\*never\*\* \| LAI art\. 66 with LAVS art\. 49a \| LAI art\. 66 with LAVS art\. 49a \| \*\*never\*\* \| \*\*never\*\* \| \*\*never\*\* \| – \| – \|$/m);
    expect(md).toMatch(/^\| `ac.entitlement` \| LACI art\. 96b \| consent \(open case\) \| consent \(open case\) \| LACI art\. 85f \| consent \(open case\) \| consent naming CII \(open case\) \| – \| – \|$/m);
    expect(md).toContain('### LPGA art. 32 al. 1 et 2 (`lpga-32`)');
    expect(md).toContain('| `DailyAllowanceEntitlement.remainingDays` | `Int!` |');

    const bad = renderPolicyMarkdown(buildPolicyReview(hostile, catalogue, sdl));
    expect(bad).toContain('LPGA \\<b\\>32\\</b\\> \\| \\[x\\](javascript:alert(3))');
    expect(bad).not.toContain('<b>32');
    expect(bad).toContain('# Access policy review: \\<script\\>alert("name")\\</script\\> \\& co');
  });
});

describe('the policy diff, in a DPO\'s words', () => {
  it('says nothing for the same policy, nor for rules moved within the file', () => {
    expect(diffPolicies(sample, sample, catalogue).sentences).toEqual([]);
    const moved = changed((p) => p.rules.reverse());
    expect(diffPolicies(sample, moved, catalogue).sentences).toEqual([]);
  });

  it('says who gains and who loses which category, under what, and what it was', () => {
    const next = changed((p) => {
      ruleOf(p, 'case-manager').categories['ac.entitlement'] = 'laci-85f';
      delete ruleOf(p, 'social-worker').categories['pc.hypotheticalIncome'];
      ruleOf(p, 'counsellor').categories['ai.decision'] = 'consent';
      ruleOf(p, 'counsellor').categories['pc.entitlement'] = 'never';
      ruleOf(p, 'pc-officer').categories['ac.measures'] = 'lpga-32';
      ruleOf(p, 'physician').categories['consent.records'] = 'consent-verification';
      ruleOf(p, 'case-manager').categories['ac.measures'] = 'lpga-32';
    });
    const diff = diffPolicies(sample, next, catalogue);
    expect(diff.sentences).toEqual([
      // Losses first.
      "AC counsellors now need the person's consent for ai.decision (was LPGA art. 32 al. 1 et 2)",
      'AC counsellors lose pc.entitlement: never, not even with consent (was consent)',
      'AS social-workers lose pc.hypotheticalIncome (was consent)',
      "AI case-managers gain ac.entitlement under LACI art. 85f (was consent); the request must state the purpose cii, placement or benefit-assessment and concern an open case of the requester's institution",
      "AI physicians gain consent.records under nDSG art. 6 al. 6 et 7 (was no rule); the request must concern an open case of the requester's institution",
      "PC pc-officers gain ac.measures under LPGA art. 32 al. 1 et 2 (was consent); the request must state a purpose, give a case reference and concern an open case of the requester's institution",
      "AI case-managers keep ac.measures, now under LPGA art. 32 al. 1 et 2 (was LAI art. 68bis); the request must now state a purpose, give a case reference and concern an open case of the requester's institution (before: state the purpose cii, early-intervention or placement and concern an open case of the requester's institution)",
    ]);
    expect(diff.access.find((a) => a.role === 'social-worker')).toMatchObject({ effect: 'lose', institutions: ['AS'], categories: ['pc.hypotheticalIncome'] });
  });

  it('says a change to a rule for every institution once, and groups categories', () => {
    const next = changed((p) => {
      ruleOf(p, 'cii-referent').categories['ai.decision'] = 'lpga-32';
      ruleOf(p, 'cii-referent').categories['ai.file'] = 'lpga-32';
      delete ruleOf(p, 'dpo').categories['audit.accessLog'];
    });
    expect(diffPolicies(sample, next, catalogue).sentences).toEqual([
      'All dpos lose audit.accessLog (was nDSG art. 10 al. 2)',
      "All cii-referents gain ai.file and ai.decision under LPGA art. 32 al. 1 et 2 (was consent naming CII); the request must state a purpose, give a case reference and concern an open case of the requester's institution",
    ]);
  });

  it('names legal bases, purposes and roles added, removed or changed', () => {
    const next = changed((p) => {
      p.version = '2027-01-01';
      const lpga = p.legalBases.find((b) => b.id === 'lpga-32')!;
      lpga.citation = 'LPGA art. 32 al. 1 and 2';
      const laci = p.legalBases.find((b) => b.id === 'laci-85f')!;
      laci.conditions.push({ type: 'caseReferenceRequired' });
      p.legalBases.push({ id: 'lpc-32', citation: 'LPC art. 32', summary: 'Unused for now.', conditions: [] });
      p.purposes.push({ code: 'debt-counselling', description: 'Debt counselling.' });
      p.purposes = p.purposes.filter((x) => x.code !== 'early-intervention');
      for (const b of p.legalBases) for (const c of b.conditions) if (Array.isArray(c.purposes)) c.purposes = (c.purposes as string[]).filter((x) => x !== 'early-intervention');
      p.roles.push({ id: 'job-coach', institutions: ['AC'], description: 'Job coach.', consentRecipient: 'own', permissions: [] });
      const ref = p.roles.find((r) => r.id === 'physician')!;
      ref.permissions = ['consent.record'];
      p.roles.find((r) => r.id === 'pc-officer')!.consentRecipient = 'CII';
    });
    const s = diffPolicies(sample, next, catalogue).sentences;
    expect(s[0]).toBe(`Policy "ciigraph sample policy" ${sample.version} → "ciigraph sample policy" 2027-01-01`);
    expect(s).toContain('PC pc-officers: the consent for ac.entitlement, ac.measures, ai.measures, ai.workCapacity, as.dossier, as.benefits and as.situation must now name CII (was consent)');
    expect(s).toContain('Legal basis added: LPC art. 32 (lpc-32)');
    expect(s).toContain(
      `Legal basis LPGA art. 32 al. 1 and 2 (lpga-32): its citation is now "LPGA art. 32 al. 1 and 2" (was "LPGA art. 32 al. 1 et 2"; the access log records the new one from now on). It is the rule for ${pairsUnder(next, 'lpga-32')} requester–category pairs`,
    );
    expect(s).toContain(`Legal basis LACI art. 85f (laci-85f): the request must now also give a case reference. It is the rule for ${pairsUnder(next, 'laci-85f')} requester–category pairs`);
    expect(s).toContain(
      `Legal basis LAI art. 68bis (lai-68bis): the request must now also state the purpose cii or placement; the request no longer has to state the purpose cii, early-intervention or placement. It is the rule for ${pairsUnder(next, 'lai-68bis')} requester–category pairs`,
    );
    // AC, AI (case manager and physician) and AS read under LPGA art. 32 (DOMAIN.md's table).
    expect(pairsUnder(next, 'lpga-32')).toBeGreaterThanOrEqual(13);
    expect(s).toContain('Purpose added: debt-counselling ("Debt counselling.")');
    expect(s).toContain('Purpose removed: early-intervention: requests stating it will be refused, and consents naming it release nothing more');
    expect(s).toContain('Role added: job-coach at AC');
    expect(s).toContain('Role physician: may now consent.record');
    expect(s).toContain('Role pc-officer: consents must now name CII (was their own institution)');

    const removed = diffPolicies(next, sample, catalogue).sentences;
    expect(removed).toContain('Legal basis removed: LPC art. 32 (lpc-32)');
    expect(removed).toContain('Role removed: job-coach: its tokens will be refused');
  });

  it('reads a policy from a file or from a git revision', () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(sampleJson));
    expect(readPolicySource(file, catalogue).name).toBe('ciigraph sample policy');
    expect(() => readPolicySource('no-such-revision-xyz:schema/policy/sample.json', catalogue)).toThrow(/git show no-such-revision-xyz:schema\/policy\/sample.json failed/);
    const fromGit = readPolicySource('HEAD:schema/policy/sample.json', catalogue, ROOT);
    expect(fromGit.file).toBe('HEAD:schema/policy/sample.json');
    expect(fromGit.releaseFor('AI', 'case-manager', 'ac.registration')?.kind).toBe('legalBasis');
  });
});

describe('replaying the access log against a new policy', () => {
  // The new policy: AS social-workers lose pc.hypotheticalIncome, AI case-managers get
  // ac.entitlement under LACI art. 85f, AC counsellors need a consent for ai.decision,
  // LACI art. 85f now also needs a case reference.
  const next = changed((p) => {
    delete ruleOf(p, 'social-worker').categories['pc.hypotheticalIncome'];
    ruleOf(p, 'case-manager').categories['ac.entitlement'] = 'laci-85f';
    ruleOf(p, 'counsellor').categories['ai.decision'] = 'consent';
    p.legalBases.find((b) => b.id === 'laci-85f')!.conditions.push({ type: 'caseReferenceRequired' });
  });

  const lost = entry({ institution: 'AS', role: 'social-worker', category: 'pc.hypotheticalIncome', decision: 'ALLOWED', consentId: 'c-1' });
  const gained = entry({ institution: 'AI', role: 'case-manager', category: 'ac.entitlement', decision: 'DENIED', purpose: 'cii', caseReference: 'AI-1' });
  const gainedButWrongPurpose = entry({ institution: 'AI', role: 'case-manager', category: 'ac.entitlement', decision: 'DENIED', purpose: 'early-intervention', caseReference: 'AI-1' });
  const noCaseReference = entry({ institution: 'AS', role: 'social-worker', category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LACI art. 85f', purpose: 'cii' });
  const withCaseReference = entry({ institution: 'AS', role: 'social-worker', category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LACI art. 85f', purpose: 'cii', caseReference: 'AS-7' });
  const nowConsent = entry({ institution: 'AC', role: 'counsellor', category: 'ai.decision', decision: 'ALLOWED', legalBasis: 'LPGA art. 32 al. 1 et 2', purpose: 'cii', caseReference: 'AC-3', at: '2026-11-15T10:00:00.000Z' });
  const byConsentStill = entry({ institution: 'PC', role: 'pc-officer', category: 'ac.entitlement', decision: 'ALLOWED', consentId: 'c-2' });
  const deniedConsentStill = entry({ institution: 'PC', role: 'pc-officer', category: 'ac.entitlement', decision: 'DENIED' });
  const ownData = entry({ institution: 'CII', role: 'data-subject', subject: PAINTER, category: 'audit.accessLog', decision: 'ALLOWED', legalBasis: 'nDSG art. 25', purpose: null });
  const log = [lost, gained, gainedButWrongPurpose, noCaseReference, withCaseReference, nowConsent, byConsentStill, deniedConsentStill, ownData];

  const outcome = (r: ReturnType<typeof replayAccessLog>, e: AccessLogEntry) => r.changed.find((c) => c.entry.id === e.id);
  // The person was an open case of every institution, under the references the entries name.
  const openCase = (institution: CaseRecord['institution'], caseReference: string): CaseRecord => ({ avs: PAINTER, institution, caseReference, openedOn: '2026-01-05', closedOn: null });
  const casesOf = () => [openCase('AI', 'AI-1'), openCase('AS', 'AS-7'), openCase('AC', 'AC-3'), openCase('PC', 'PC-1'), openCase('CII', 'CII-1')];

  it('finds the past accesses it would deny and the past denials it would allow, feeding purpose and case reference to the conditions', () => {
    const r = replayAccessLog([...log].reverse(), next, { old: sample, casesOf });
    expect(r.total).toBe(log.length);
    expect(outcome(r, lost)).toMatchObject({ outcome: 'wouldDeny', now: 'denied (no rule)' });
    expect(outcome(r, gained)).toMatchObject({ outcome: 'wouldAllow', now: 'allowed under LACI art. 85f' });
    expect(outcome(r, gainedButWrongPurpose)).toBeUndefined();
    expect(outcome(r, noCaseReference)).toMatchObject({ outcome: 'wouldDeny', now: 'denied (LACI art. 85f: the request names no case reference)' });
    expect(outcome(r, withCaseReference)).toBeUndefined();
    expect(outcome(r, ownData)).toBeUndefined();
    expect(r.counts).toEqual({ wouldDeny: 2, wouldAllow: 1, undecided: 1, otherBasis: 0, unchanged: 5 });
    // Oldest first.
    expect(r.changed.map((c) => Number(c.entry.id))).toEqual([...r.changed.map((c) => Number(c.entry.id))].sort((a, b) => a - b));
  });

  it('keeps an access a consent released under a consent rule, and says when only the consent registry can tell', () => {
    const r = replayAccessLog(log, next, { old: sample, casesOf });
    // The consent existed and named PC, ac.entitlement and the purpose: still allowed.
    expect(outcome(r, byConsentStill)).toBeUndefined();
    // Denied under the same consent rule: no consent was in force then.
    expect(outcome(r, deniedConsentStill)).toBeUndefined();
    expect(outcome(r, nowConsent)).toMatchObject({
      outcome: 'undecided',
      now: 'needs a consent: check that a consent naming AC, ai.decision and the purpose "cii" was in force on 2026-11-15',
    });

    // If the role's consents must now name another institution, the old consent proves nothing.
    const cii = changed((p) => {
      p.roles.find((x) => x.id === 'pc-officer')!.consentRecipient = 'CII';
    });
    const moved = replayAccessLog(log, cii, { old: sample, casesOf });
    expect(outcome(moved, byConsentStill)).toMatchObject({ outcome: 'undecided' });
    expect(outcome(moved, byConsentStill)!.now).toMatch(/^needs a consent: check that a consent naming CII, ac.entitlement/);
  });

  it('decides consent rules from the consent registry: a consent in force at the time of the access', () => {
    const consent = (over: Partial<ConsentRecord>): ConsentRecord => ({
      id: 'k-1',
      avs: PAINTER,
      recipients: ['AC'],
      categories: ['ai.decision'],
      purpose: 'cii',
      validUntil: '2027-06-30',
      grantedAt: '2026-11-01T08:00:00.000Z',
      revokedAt: null,
      evidence: 'a'.repeat(64),
      recordedBy: { institution: 'AC', role: 'counsellor', subject: 'x' },
      revokedBy: null,
      ...over,
    });
    const run = (c: ConsentRecord[]) => outcome(replayAccessLog([nowConsent], next, { old: sample, casesOf, consentsOf: (avs) => (avs === PAINTER ? c : []) }), nowConsent);
    // In force then: still allowed, by the consent rather than the legal basis.
    expect(run([consent({})])).toMatchObject({ outcome: 'otherBasis', now: 'allowed by consent k-1 (in force then)' });
    // Revoked before, granted after, expired, another purpose, another recipient: denied.
    for (const c of [
      consent({ revokedAt: '2026-11-14T00:00:00.000Z' }),
      consent({ grantedAt: '2026-11-16T00:00:00.000Z' }),
      consent({ validUntil: '2026-11-14' }),
      consent({ purpose: 'placement' }),
      consent({ recipients: ['AI'] }),
    ]) {
      expect(run([c]), JSON.stringify(c)).toMatchObject({ outcome: 'wouldDeny', now: 'denied (no consent naming AC was in force then)' });
    }
    // Revoked only after the access: it was in force then.
    expect(run([consent({ revokedAt: '2026-11-20T00:00:00.000Z' })])).toMatchObject({ outcome: 'otherBasis' });
  });

  it('tells the DPO, grouped, with the entry ids to look up', () => {
    const text = renderReplay(replayAccessLog(log, next, { old: sample, casesOf }));
    expect(text).toContain('Replayed 9 journaled decisions: 2 would be denied, 1 would be allowed, 1 need a consent check, 0 would rest on another basis, 5 unchanged.');
    expect(text).toContain('Past accesses the new policy would have DENIED (2):');
    expect(text).toContain(`  - AS social-worker → pc.hypotheticalIncome: 1 decision (1 person, on ${lost.at.slice(0, 10)}); then allowed by consent c-1; now denied (no rule). Entries ${lost.id}`);
    expect(text).toContain('Past denials the new policy would have ALLOWED (1):');
    expect(text).toContain(`then denied; now allowed under LACI art. 85f. Entries ${gained.id}`);
    expect(text).toContain('Past accesses that need a consent or an open case under the new policy (cannot be decided from the log) (1):');
  });

  it('names a changed fishing-signal threshold, and defaults them for a policy without any', () => {
    const stricter = changed((p) => {
      p.fishingSignals = { ...p.fishingSignals!, readsOutsideAnyCase: 1 };
    });
    expect(diffPolicies(sample, stricter, catalogue).sentences).toEqual(['Fishing signal threshold readsOutsideAnyCase: 3 → 1']);
    const without = changed((p) => {
      delete p.fishingSignals;
    });
    expect(without.fishingSignals).toEqual(DEFAULT_FISHING_THRESHOLDS);
    expect(() => changed((p) => { p.fishingSignals = { ...p.fishingSignals!, volumeFactor: 0 }; })).toThrow(/fishingSignals\.volumeFactor/);
  });

  it('understands the open-case condition: a past access outside any case shows as newly denied, and the log proves what it can', () => {
    // The old policy without openCase, the new one (the sample) with it.
    const before = changed((p) => {
      for (const b of p.legalBases) b.conditions = b.conditions.filter((c) => c.type !== 'openCase');
      p.consentConditions = [];
    });
    const read = entry({ institution: 'AC', role: 'counsellor', category: 'ai.file', decision: 'ALLOWED', legalBasis: 'LAI art. 68bis', purpose: 'cii', caseReference: 'AC-3' });
    const outside = replayAccessLog([read], sample, { old: before, casesOf: () => [] });
    expect(outcome(outside, read)).toMatchObject({ outcome: 'wouldDeny', now: 'denied (no open case: "AC-3" is no open case of AC for this person)' });
    expect(outcome(replayAccessLog([read], sample, { old: before, casesOf }), read)).toBeUndefined();
    // A closed case was open then if it closed after the access.
    const closedLater = [{ ...openCase('AC', 'AC-3'), closedOn: '2026-11-30' }];
    expect(outcome(replayAccessLog([read], sample, { old: before, casesOf: () => closedLater }), read)).toBeUndefined();
    // Without the repertory, a check to make; under an old rule that required the case, the allowed access proves it.
    expect(outcome(replayAccessLog([read], sample, { old: before }), read)).toMatchObject({ outcome: 'undecided', now: expect.stringMatching(/^needs an open case: check that "AC-3" was an open case of AC/) });
    expect(outcome(replayAccessLog([read], sample, { old: sample }), read)).toBeUndefined();
  });
});

describe('the access-log view and its CSV export', () => {
  const tricky = [
    entry({ id: '12', institution: 'AI', role: 'case-manager', subject: 'Rossi, Laura', category: 'ac.entitlement', decision: 'ALLOWED', consentId: 'c-9', caseReference: 'AI "GE" 1' }),
    entry({ id: '3', institution: 'AC', role: 'counsellor', subject: 'line\nbreak', category: 'ai.medical', decision: 'DENIED' }),
    entry({ id: '7', institution: 'AS', role: 'social-worker', subject: '=HYPERLINK("http://x")', category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LACI art. 85f' }),
  ];

  /** A strict RFC 4180 reader, to read the export back. */
  function readCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let i = 0;
    while (i < text.length) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (text[i] === '"' && text[i + 1] === '"') { field += '"'; i += 2; }
          else if (text[i] === '"') { i++; break; }
          else if (i >= text.length) throw new Error('unterminated quote');
          else field += text[i++];
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
          field += text[i++];
        }
      }
      row.push(field);
      if (text[i] === ',') i++;
      else if (text.startsWith('\r\n', i)) { rows.push(row); row = []; i += 2; }
      else throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
    }
    return rows;
  }

  it('quotes per RFC 4180, with a header row and CRLF, oldest first, and defuses formulas', () => {
    const csv = renderAccessLogCsv(tricky);
    expect(csv.startsWith('id,at,avs,institution,role,subject,category,decision,basis,legalBasis,consentId,purpose,caseReference,subgraph,requestId,action,reason,rule,condition,policy,client\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = readCsv(csv);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.length === 21)).toBe(true);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['3', '7', '12']);
    const [, denied, formula, consent] = rows as [string[], string[], string[], string[]];
    expect(denied[5]).toBe('line\nbreak');
    expect(denied[8]).toBe('denied');
    expect(formula[5]).toBe(`'=HYPERLINK("http://x")`);
    expect(formula[8]).toBe('LACI art. 85f');
    expect(consent[5]).toBe('Rossi, Laura');
    expect(consent[8]).toBe('consent c-9');
    expect(consent[12]).toBe('AI "GE" 1');
    expect(csv).toContain('"AI ""GE"" 1"');
    expect(csvField('plain')).toBe('plain');
    expect(csvField(null)).toBe('');
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@x')).toBe("'@x");
    expect(csvField('a\rb')).toBe('"a\rb"');
  });

  it('shows each access oldest first with what released it, escaped', () => {
    const { html } = renderAccessLogHtml(tricky, { avs: PAINTER });
    const order = [...html.matchAll(/data-entry="(\d+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['3', '7', '12']);
    expect(html).toContain('consent <span class="mono">c-9</span>');
    expect(html).toContain('<td>LACI art. 85f</td>');
    expect(html).toContain('=HYPERLINK(&quot;http://x&quot;)');
    expect(html).not.toContain('"http://x"');
    expect(html).toContain('<b data-testid="entry-count">3</b>');
  });
});

describe('the gateway route handlers', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  async function serve(handler: DpoRouteHandler, ctx: DpoRequest): Promise<string> {
    const server = createServer((req, res) => void Promise.resolve(handler(req, res, ctx)).catch((e) => { res.statusCode = 500; res.end(String(e)); }));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const dpo: Requester = { institution: 'CII', role: 'dpo', subject: 'dpo-ge' };
  const ctx = (requester: Requester): DpoRequest => ({ requestId: 'gw-req-1', requester, purpose: undefined, caseReference: undefined });

  it('/policy serves the review page read-only, with its CSP', async () => {
    const url = await serve(createPolicyPageRoute(sample, catalogue, sdl), ctx(dpo));
    const res = await fetch(`${url}/policy`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<h1>ciigraph sample policy</h1>');
    expect(html).toContain('data-cell="case-manager@AI|ac.entitlement"');
  });

  it('/policy/access-log pages through the log, answers oldest first as CSV, HTML or JSON, and journals the reading', async () => {
    const audit = new MemoryAuditLog();
    const base = { role: 'case-manager', subject: 'laura', category: 'ac.registration', decision: 'ALLOWED' as const, legalBasis: 'LPGA art. 32 al. 1 et 2', consentId: null, purpose: 'cii', subgraph: 'unemployment', requestId: 'r' };
    // 23 entries for the painter, interleaved with another person's; two case references.
    for (let i = 0; i < 23; i++) {
      await audit.append([
        { ...base, institution: 'AI', at: `2026-11-20T10:00:${String(i).padStart(2, '0')}.000Z`, avs: PAINTER, caseReference: i % 2 ? 'AI-1' : 'AI-2' },
        { ...base, institution: 'AC', at: `2026-11-20T10:00:${String(i).padStart(2, '0')}.000Z`, avs: OTHER, caseReference: null },
      ]);
    }
    const url = await serve(createAccessLogRoute({ policy: sample, journal: new Journal(audit), pageSize: 5, clock: { now: () => new Date('2026-11-21T08:00:00.000Z') } }), ctx(dpo));

    const csv = await fetch(`${url}/policy/access-log?avs=7561234567897&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="access-log-${PAINTER}.csv"`);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    // Header, 23 accesses, and the DPO's own reading, journaled before the log was read.
    expect(lines).toHaveLength(25);
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(lines.slice(1).every((l) => l.includes(`,${PAINTER},`))).toBe(true);
    expect(lines.at(-1)).toBe(`47,2026-11-21T08:00:00.000Z,${PAINTER},CII,dpo,dpo-ge,audit.accessLog,ALLOWED,nDSG art. 10 al. 2,nDSG art. 10 al. 2,,,,gateway,gw-req-1,READ,,6,,ciigraph sample policy ${sample.version},`);

    const json = (await (await fetch(`${url}/policy/access-log?avs=${PAINTER}&format=json&caseReference=AI-1`)).json()) as AccessLogEntry[];
    expect(json).toHaveLength(11);
    expect(json.every((e) => e.caseReference === 'AI-1')).toBe(true);
    expect(Number(json[0]!.id)).toBeLessThan(Number(json.at(-1)!.id));

    const html = await fetch(`${url}/policy/access-log?avs=${PAINTER}`);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await html.text();
    expect(page).toContain(`Access log of <span class="mono">${PAINTER}</span>`);
    expect(page).toContain(`href="?avs=${encodeURIComponent(PAINTER)}&amp;format=csv"`);
    expect([...page.matchAll(/data-entry="/g)]).toHaveLength(26);
    expect(audit.all().filter((e) => e.role === 'dpo')).toHaveLength(3);
  });

  it('refuses a bad AVS, format or case reference with 400 before journaling anything', async () => {
    const audit = new MemoryAuditLog();
    const url = await serve(createAccessLogRoute({ policy: sample, journal: new Journal(audit) }), ctx(dpo));
    for (const [q, field] of [
      ['', 'avs'],
      ['avs=756.1234.5678.98', 'avs'],
      ['avs=hello', 'avs'],
      [`avs=${PAINTER}&format=xml`, 'format'],
      [`avs=${PAINTER}&caseReference=${encodeURIComponent('<x>')}`, 'caseReference'],
    ] as const) {
      const res = await fetch(`${url}/policy/access-log?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { errors: { extensions: { code: string; field: string } }[] };
      expect(body.errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    }
    expect(audit.all()).toEqual([]);
  });

  it('decides the reading under the policy: another role is refused and its attempt journaled', async () => {
    const audit = new MemoryAuditLog();
    const url = await serve(createAccessLogRoute({ policy: sample, journal: new Journal(audit) }), ctx({ institution: 'AC', role: 'counsellor', subject: 'marc' }));
    const res = await fetch(`${url}/policy/access-log?avs=${PAINTER}&format=csv`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toEqual({ code: 'FORBIDDEN', category: 'audit.accessLog', reason: 'NO_RULE' });
    expect(audit.all()).toMatchObject([{ role: 'counsellor', category: 'audit.accessLog', decision: 'DENIED', avs: PAINTER }]);
  });

  it('releases nothing when the reading cannot be journaled', async () => {
    const audit = new MemoryAuditLog();
    const { id: _id, ...past } = entry({ institution: 'AI', role: 'case-manager', category: 'ai.file', decision: 'ALLOWED' });
    await audit.append([past]);
    const broken: AuditLog = {
      append: async () => {
        throw new Error('down');
      },
      appendGroups: async () => {
        throw new Error('down');
      },
      query: (q) => audit.query(q),
      since: (at) => audit.since(at),
      verify: () => audit.verify(),
      close: async () => {},
    };
    const url = await serve(createAccessLogRoute({ policy: sample, journal: new Journal(broken) }), ctx(dpo));
    const res = await fetch(`${url}/policy/access-log?avs=${PAINTER}&format=csv`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text).errors[0].extensions.code).toBe('AUDIT_UNAVAILABLE');
    expect(text).not.toContain('case-manager');
  });
});

describe('against a running stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('shows the decisions the stack journaled, with their bases, and replays them', async () => {
    const cm = stack.as({ institution: 'AI', role: 'case-manager', purpose: 'cii', caseReference: 'AI-GE-2026-0815', sub: 'laura' });
    const res = await gql(stack.gatewayUrl, `query($avs: ID!) { person(avs: $avs) { unemployment { office entitlement { remainingDays } } } }`, { avs: PAINTER }, cm);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', category: 'ac.entitlement' });

    const url = await new Promise<string>((resolve) => {
      const handler = createAccessLogRoute({ policy: stack.policy, journal: new Journal(stack.audit) });
      const server = createServer((req, r) => void handler(req, r, { requestId: 'x', requester: { institution: 'AS', role: 'dpo', subject: 'dpo-as' } }));
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      afterAll(() => new Promise((r) => server.close(r)));
    });
    const rows = (await (await fetch(`${url}/policy/access-log?avs=${PAINTER}&format=csv`)).text()).trimEnd().split('\r\n').slice(1);
    expect(rows.find((r) => r.includes(',ac.registration,'))).toContain(',AI,case-manager,laura,ac.registration,ALLOWED,LPGA art. 32 al. 1 et 2,');
    expect(rows.find((r) => r.includes(',ac.entitlement,'))).toContain(',AI,case-manager,laura,ac.entitlement,DENIED,denied: no consent in force,');
    expect(rows.find((r) => r.includes(',ac.entitlement,'))).toMatch(/,READ,NO_CONSENT,1,,ciigraph sample policy [^,]+,$/);

    // The case manager would have read the entitlement under LACI art. 85f.
    const next = changed((p) => {
      ruleOf(p, 'case-manager').categories['ac.entitlement'] = 'laci-85f';
    });
    const cases = await stack.cases.forPersons([PAINTER]);
    const replay = replayAccessLog((stack.audit as MemoryAuditLog).all(), next, { old: stack.policy, casesOf: (avs) => cases.get(avs) });
    expect(replay.changed).toMatchObject([{ outcome: 'wouldAllow', now: 'allowed under LACI art. 85f', entry: { category: 'ac.entitlement', subject: 'laura' } }]);
  });

  it('behind the gateway\'s own authentication, serves only a verified dpo', async () => {
    const verifier = UserTokenVerifier.fromConfig(stack.config, stack.policy);
    const auth = (req: IncomingMessage) => authenticate(req, verifier, stack.policy);
    const page = dpoOnly(auth, createPolicyPageRoute(stack.policy, catalogue, sdl));
    const log = dpoOnly(auth, createAccessLogRoute({ policy: stack.policy, journal: new Journal(stack.audit) }));
    const server = createServer((req, res) => void (new URL(req.url!, 'http://x').pathname === '/policy' ? page : log)(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    afterAll(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers });
    const code = async (r: Response) => ((await r.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code;

    const none = await get('/policy');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await code(none)).toBe('UNAUTHENTICATED');
    const forged = await get('/policy', { authorization: 'Bearer abc.def.ghi' });
    expect(forged.status).toBe(401);
    const counsellor = await get('/policy', stack.as({ institution: 'AC', role: 'counsellor' }));
    expect(counsellor.status).toBe(403);
    expect(await code(counsellor)).toBe('FORBIDDEN');
    const badPurpose = await get('/policy', { ...stack.as({ institution: 'CII', role: 'dpo' }), 'x-purpose': 'curiosity' });
    expect(badPurpose.status).toBe(400);
    expect(await code(badPurpose)).toBe('BAD_USER_INPUT');

    const ok = await get('/policy', stack.as({ institution: 'CII', role: 'dpo' }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await ok.text()).toContain(`<h1>${stack.policy.name}</h1>`);

    const before = (stack.audit as MemoryAuditLog).all().length;
    expect((await get(`/policy/access-log?avs=${PAINTER}`, stack.as({ institution: 'AS', role: 'social-worker' }))).status).toBe(403);
    // Refused at the door: not even an attempt reaches the log.
    expect((stack.audit as MemoryAuditLog).all()).toHaveLength(before);
    const csv = await get(`/policy/access-log?avs=${PAINTER}&format=csv`, stack.as({ institution: 'PC', role: 'dpo', sub: 'dpo-pc' }));
    expect(csv.status).toBe(200);
    expect((await csv.text()).trimEnd().split('\r\n').at(-1)).toMatch(new RegExp(`^\\d+,[^,]+,${PAINTER.replaceAll('.', '\\.')},PC,dpo,dpo-pc,audit\\.accessLog,ALLOWED,nDSG art\\. 10 al\\. 2,`));
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/^(POLICY_FILE|REDIS_URL|REDIS_PREFIX|CONSENT_SIGNING_KEY_FILE)$/.test(k)) delete base[k];
  return runCommand(process.execPath, ['--import', 'tsx', script, ...args], { ...base, ...env });
}

describe('the commands', () => {
  it('policy:report writes policy.html and policy.md of the policy POLICY_FILE names', async () => {
    const policyFile = join(dir, 'canton.json');
    writeFileSync(policyFile, JSON.stringify({ ...sampleJson, name: 'Canton de Genève', version: 'GE-1' }));
    const out = join(dir, 'report');
    const r = await run('bin/policy-report.ts', ['--out', out], { POLICY_FILE: policyFile });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'policy.html'), 'utf8')).toContain('<h1>Canton de Genève</h1>');
    expect(readFileSync(join(out, 'policy.md'), 'utf8')).toContain('# Access policy review: Canton de Genève');

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...sampleJson, rules: [{ institution: 'AC', roles: ['counsellor'], categories: { 'ai.medical': 'consent' } }] }));
    const refused = await run('bin/policy-report.ts', ['--out', join(dir, 'bad-report')], { POLICY_FILE: bad });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"ai.medical" never leaves AI, but this rule releases it to AC by consent');
    expect(existsSync(join(dir, 'bad-report'))).toBe(false);
  });

  it('policy:diff says what changes and replays a JSON Lines log', async () => {
    const next = structuredClone(sampleJson);
    ruleOf(next, 'case-manager').categories['ac.entitlement'] = 'laci-85f';
    const nextFile = join(dir, 'next.json');
    writeFileSync(nextFile, JSON.stringify(next));
    const logFile = join(dir, 'log.jsonl');
    const e1 = entry({ institution: 'AI', role: 'case-manager', category: 'ac.entitlement', decision: 'DENIED', purpose: 'cii' });
    const e2 = entry({ institution: 'AI', role: 'case-manager', category: 'ac.registration', decision: 'ALLOWED', legalBasis: 'LPGA art. 32 al. 1 et 2', caseReference: 'AI-1' });
    writeFileSync(logFile, `${JSON.stringify(e1)}\n${JSON.stringify(e2)}\n`);
    expect(readAccessLogFile(logFile)).toEqual([e1, e2]);
    const asJson = join(dir, 'log.json');
    writeFileSync(asJson, JSON.stringify([e2, e1]));
    expect(readAccessLogFile(asJson)).toEqual([e2, e1]);
    // What the GraphQL accessLog returns has no AVS: the replay refuses it and says where to export from.
    const fromGraphQL = join(dir, 'graphql.json');
    writeFileSync(fromGraphQL, JSON.stringify({ entries: [{ ...e1, avs: undefined }] }));
    expect(() => readAccessLogFile(fromGraphQL)).toThrow(/graphql\.json entry 0: not an access-log entry: avs no AVS number .*format=json/);

    const casesFile = join(dir, 'cases.json');
    writeFileSync(casesFile, JSON.stringify([{ avs: PAINTER, institution: 'AI', caseReference: 'AI-1', openedOn: '2026-01-05', closedOn: null }]));
    const r = await run('bin/policy-diff.ts', ['HEAD:schema/policy/sample.json', nextFile, '--log', logFile, '--cases', casesFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  - AI case-managers gain ac.entitlement under LACI art. 85f (was consent); the request must state the purpose cii, placement or benefit-assessment and concern an open case of the requester's institution\n");
    expect(r.stdout).toContain('Replayed 2 journaled decisions: 0 would be denied, 1 would be allowed');
    expect(r.stdout).toContain(`then denied; now allowed under LACI art. 85f. Entries ${e1.id}`);

    const usage = await run('bin/policy-diff.ts', [nextFile]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run policy:diff');
  });

  describe('with the access log and the consents in Redis', () => {
    let redis: RedisServerHandle;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('walks the whole log and decides consent rules from the signed consent registry', async () => {
      const prefix = `pr${Date.now()}:`;
      const client = createRedis(redis.url, { name: 'policy-review-test' });
      await waitForRedis(client, 5000);
      const keyFile = join(dir, 'consent-signing-key');
      const key = Buffer.alloc(32, 7);
      writeFileSync(keyFile, key.toString('hex'));
      try {
        const log = new RedisAuditLog(client, { prefix });
        const at = '2026-11-15T10:00:00.000Z';
        const common = { at, subject: 'marc', consentId: null, subgraph: 'disability', requestId: 'r', caseReference: 'AC-3', purpose: 'cii' };
        await log.append([
          { ...common, institution: 'AC', role: 'counsellor', avs: PAINTER, category: 'ai.decision', decision: 'ALLOWED', legalBasis: 'LPGA art. 32 al. 1 et 2' },
          { ...common, institution: 'AC', role: 'counsellor', avs: OTHER, category: 'ai.decision', decision: 'ALLOWED', legalBasis: 'LPGA art. 32 al. 1 et 2', caseReference: 'AC-4' },
        ]);
        const { entries, unreadable } = await readRedisAccessLog(client, prefix, 1);
        expect(unreadable).toEqual([]);
        expect(entries.map((e) => [e.id, e.avs])).toEqual([['1', PAINTER], ['2', OTHER]]);
        expect(Object.keys(entries[0]!)).not.toContain('hash');

        const store = new RedisConsentStore(client, new ConsentSigner(key), { prefix });
        await store.grant({
          avs: PAINTER, recipients: ['AC'], categories: ['ai.decision'], purpose: 'cii', validUntil: '2027-01-31',
          grantedAt: '2026-11-01T00:00:00.000Z', evidence: 'b'.repeat(64), recordedBy: { institution: 'AC', role: 'counsellor', subject: 'marc' },
        });

        // Both were open cases of the ORP (AC-3, AC-4), as the signed repertory says.
        const repertory = new RedisCaseRepertory(client, new HmacSigner(key), { prefix });
        for (const [avs, caseReference] of [[PAINTER, 'AC-3'], [OTHER, 'AC-4']] as const) await repertory.openCase({ avs, institution: 'AC', caseReference, on: '2026-11-01' });

        const next = structuredClone(sampleJson);
        ruleOf(next, 'counsellor').categories['ai.decision'] = 'consent';
        const nextFile = join(dir, 'next-consent.json');
        writeFileSync(nextFile, JSON.stringify(next));
        const env = { REDIS_URL: redis.url, REDIS_PREFIX: prefix };
        const r = await run('bin/policy-diff.ts', [SAMPLE_POLICY_PATH, nextFile, '--redis', '--json'], { ...env, CONSENT_SIGNING_KEY_FILE: keyFile });
        expect(r.code).toBe(0);
        const out = JSON.parse(r.stdout) as { replay: ReturnType<typeof replayAccessLog> };
        expect(out.replay.consentsChecked).toBe(true);
        expect(out.replay.changed.map((c) => [c.entry.avs, c.outcome, c.now.replace(/consent [0-9a-f-]{36} /, 'consent ')])).toEqual([
          [PAINTER, 'otherBasis', 'allowed by consent (in force then)'],
          [OTHER, 'wouldDeny', 'denied (no consent naming AC was in force then)'],
        ]);

        // Without the signing key the registry cannot be trusted: the DPO is told to check.
        const unsigned = await run('bin/policy-diff.ts', [SAMPLE_POLICY_PATH, nextFile, '--redis'], { ...env, CONSENT_SIGNING_KEY_FILE: join(dir, 'missing-key') });
        expect(unsigned.code).toBe(0);
        expect(unsigned.stdout).toContain('Past accesses that need a consent or an open case under the new policy (cannot be decided from the log) (2):');
        expect(unsigned.stdout).toContain('Note: The consent registry was not read');
      } finally {
        await closeRedis(client);
      }
    });
  });
});
