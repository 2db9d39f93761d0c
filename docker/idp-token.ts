// `npm run --silent docker:token -- --institution <code> --role <role> [--sub <id>]
//   [--purpose <code>] [--case <ref>] [--ttl <seconds>] [--key <pem>]`
// Prints one ES256 token for the docker-compose stack, signed with the stand-in identity
// provider's key (docker/secrets/idp-private-key.pem, from `npm run docker:secrets`), with
// the issuer and audience the compose gateway expects. The production gateway accepts it
// because it is signed like a real provider's token, not because it is a development token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadPolicy } from '../lib/access/policy.ts';
import { CaseReference } from '../lib/access/requester.ts';
import { Institution, loadCatalogue } from '../lib/schema/catalogue.ts';
import { SECRET_FILES, SECRETS_DIR } from './secrets.ts';
import { answerHelp } from '../bin/cli.ts';

export const COMPOSE_CONFIG_FILE = fileURLToPath(new URL('../config/docker-compose.yaml', import.meta.url));

/** The issuer and audience the compose gateway verifies, read from the configuration file docker-compose.yml mounts. */
export function composeIssuer(file = COMPOSE_CONFIG_FILE): { issuer: string; audience: string } {
  const config = parse(readFileSync(file, 'utf8')) as { identity?: { issuers?: Array<{ issuer: string; audience: string | string[] }> } };
  const first = config.identity?.issuers?.[0];
  if (!first) throw new Error(`${file}: no identity.issuers`);
  return { issuer: first.issuer, audience: Array.isArray(first.audience) ? first.audience[0]! : first.audience };
}

function main() {
  const { values } = parseArgs({
    options: {
      institution: { type: 'string' },
      role: { type: 'string' },
      sub: { type: 'string' },
      purpose: { type: 'string' },
      case: { type: 'string' },
      ttl: { type: 'string' },
      key: { type: 'string' },
    },
    strict: true,
  });
  const policy = loadPolicy(loadCatalogue());
  const a = z
    .object({
      institution: Institution,
      role: z.string().refine((r) => policy.roles.has(r), `known roles: ${[...policy.roles.keys()].join(', ')}`),
      sub: z.string().min(1).max(200).optional(),
      purpose: z.string().refine((p) => policy.purposes.has(p), `known purposes: ${[...policy.purposes.keys()].join(', ')}`).optional(),
      case: CaseReference.optional(),
      ttl: z.coerce.number().int().positive().max(86_400).default(3600),
      key: z.string().default(join(SECRETS_DIR, SECRET_FILES.idpPrivateKey)),
    })
    .parse(values);
  const { issuer, audience } = composeIssuer();
  const payload = Object.fromEntries(Object.entries({ institution: a.institution, role: a.role, purpose: a.purpose, case: a.case }).filter(([, v]) => v !== undefined));
  const token = jwt.sign(payload, readFileSync(a.key, 'utf8'), {
    algorithm: 'ES256',
    subject: a.sub ?? `idp-${a.role}-${a.institution.toLowerCase()}`,
    issuer,
    audience,
    expiresIn: a.ttl,
  });
  process.stdout.write(`${token}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  answerHelp(`usage: npm run --silent docker:token -- --institution <code> --role <role> [--sub <id>]
         [--purpose <code>] [--case <ref>] [--ttl <seconds>] [--key <pem>]
  Prints one ES256 token for the docker-compose stack, signed with the stand-in identity
  provider's key (docker/secrets/idp-private-key.pem, from npm run docker:secrets).`);
  try {
    main();
  } catch (e) {
    console.error(`docker:token: ${e instanceof z.ZodError ? e.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message}`);
    process.exit(2);
  }
}
