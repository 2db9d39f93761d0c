// npm run policy:report [-- --out DIR] [--policy FILE]: writes the policy review of the active
// policy (POLICY_FILE, else the sample) as DIR/policy.html (self-contained, works offline)
// and DIR/policy.md. Default DIR: reports/.
// Exit codes: 0 written, 1 the policy or the catalogue is invalid, 2 bad arguments.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicy, SAMPLE_POLICY_PATH } from '../lib/access/policy.ts';
import { StartupError } from '../lib/errors.ts';
import { renderPolicyHtml } from '../lib/policy-review/html.ts';
import { renderPolicyMarkdown } from '../lib/policy-review/markdown.ts';
import { buildPolicyReview } from '../lib/policy-review/model.ts';
import { loadCatalogue } from '../lib/schema/catalogue.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

function main(): number {
  let args;
  try {
    args = parseArgs({ options: { out: { type: 'string', default: 'reports' }, policy: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: false });
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: npm run policy:report [-- --out DIR] [--policy FILE]`);
    return 2;
  }
  if (args.values.help) {
    console.log('usage: npm run policy:report [-- --out DIR] [--policy FILE]   (default policy: POLICY_FILE, else the sample; default DIR: reports)');
    return 0;
  }
  const file = args.values.policy ?? process.env.POLICY_FILE ?? SAMPLE_POLICY_PATH;
  try {
    const catalogue = loadCatalogue();
    const policy = loadPolicy(catalogue, file);
    const review = buildPolicyReview(policy, catalogue, readFileSync(SUPERGRAPH_PATH, 'utf8'));
    const dir = resolve(args.values.out);
    mkdirSync(dir, { recursive: true });
    const now = new Date();
    writeFileSync(join(dir, 'policy.html'), renderPolicyHtml(review, { generatedAt: now }).html);
    writeFileSync(join(dir, 'policy.md'), renderPolicyMarkdown(review, { generatedAt: now }));
    console.log(`policy review of "${policy.name}" (${policy.version}, ${file}):\n  ${join(dir, 'policy.html')}\n  ${join(dir, 'policy.md')}`);
    for (const w of review.warnings) console.error(`warning: ${w}`);
    return 0;
  } catch (e) {
    if (e instanceof StartupError) {
      console.error(`The policy cannot be reviewed: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main();
