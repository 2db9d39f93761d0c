// `npm run --silent token -- --institution <AC|AI|AS|PC|CII> --role <role> [--sub <id>]
//   [--purpose <code>] [--case <ref>] [--ttl <seconds>]`
// Prints one signed development JWT on stdout and nothing else. Development only: the key is
// the local dev secret, which a production gateway never accepts.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadPolicy } from '../lib/access/policy.ts';
import { CaseReference } from '../lib/access/requester.ts';
import { devSecret, issueDevToken } from '../lib/auth/dev-issuer.ts';
import { loadConfig } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { Institution, loadCatalogue } from '../lib/schema/catalogue.ts';
import { answerHelp } from './cli.ts';

answerHelp(`usage: npm run --silent token -- --institution <AC|AI|AS|PC|CII> --role <role> [--sub <id>]
         [--canton <XX>] [--purpose <code>] [--case <ref>] [--ttl <seconds>]
  Prints one development JWT (HS256, the local dev secret) on stdout and nothing else; the role
  must exist at the institution in the active policy. Refused in production.`);

function fail(message: string): never {
  console.error(`token: ${message}`);
  process.exit(2);
}

try {
  const config = loadConfig();
  if (config.env === 'production') fail('development tokens are not issued in production.');
  const policy = loadPolicy(loadCatalogue(), config.policyFile);
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        institution: { type: 'string' },
        role: { type: 'string' },
        sub: { type: 'string' },
        canton: { type: 'string' },
        purpose: { type: 'string' },
        case: { type: 'string' },
        ttl: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  const args = z
    .object({
      institution: Institution,
      role: z.string().refine((r) => policy.roles.has(r), { message: `known roles: ${[...policy.roles.keys()].join(', ')}` }),
      sub: z.string().min(1).max(200).optional(),
      canton: z.string().regex(/^[A-Z]{2}$/).optional(),
      purpose: z.string().refine((p) => policy.purposes.has(p), { message: `known purposes: ${[...policy.purposes.keys()].join(', ')}` }).optional(),
      case: CaseReference.optional(),
      ttl: z.coerce.number().int().positive().max(86_400).default(3600),
    })
    .safeParse(values);
  if (!args.success) fail(args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  const a = args.data;
  if (!policy.roleExistsAt(a.institution, a.role)) fail(`the role "${a.role}" does not exist at ${a.institution}.`);
  const token = issueDevToken(
    devSecret(config.auth.devSecretFile),
    {
      institution: a.institution,
      role: a.role,
      sub: a.sub ?? `dev-${a.role}-${a.institution.toLowerCase()}`,
      canton: a.canton,
      purpose: a.purpose,
      case: a.case,
    },
    { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: a.ttl },
  );
  process.stdout.write(`${token}\n`);
} catch (e) {
  fail(e instanceof StartupError ? e.message : (e as Error).message);
}
