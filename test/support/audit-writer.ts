// A writer of the access log in a process of its own, for a test to kill: it appends to the
// Redis log (REDIS_URL, REDIS_PREFIX) with acknowledged-on-disk durability and a sealing
// checkpointer (AUDIT_SIGNING_KEY_FILE, every 5 records), several appends in flight at once,
// and prints "ack <request id> <writer>" on stdout the moment each append is acknowledged.
// It never stops by itself: the test SIGKILLs it mid-append.
import { randomUUID } from 'node:crypto';
import { Checkpointer } from '../../lib/audit/checkpoint.ts';
import { Journal } from '../../lib/audit/journal.ts';
import { RedisAuditLog } from '../../lib/audit/redis.ts';
import { readSigningKey, TrustedKeys } from '../../lib/audit/signing-keys.ts';
import { groupsOfEntries } from '../../lib/audit/record-format.ts';
import { createRedis, waitForRedis } from '../../lib/redis/connection.ts';

const redis = createRedis(process.env.REDIS_URL!, { name: 'killed-writer' });
await waitForRedis(redis, 10_000);
const log = new RedisAuditLog(redis, { prefix: process.env.REDIS_PREFIX!, durability: 'fsync' });
const signer = readSigningKey(process.env.AUDIT_SIGNING_KEY_FILE!);
new Checkpointer(log, signer, new TrustedKeys([signer.publicKey]), { everyRecords: 5, everyMs: 60_000 }, { verifyBeforeSigning: true }).start();
// Through the journal, as the decision core writes: appends that wait for a write go together.
const journal = new Journal(log);

async function writer(w: number): Promise<never> {
  for (;;) {
    const requestId = randomUUID();
    const avs = ['756.1234.5678.97', '756.9876.5432.17', '756.1111.2222.39'][w % 3]!;
    await journal.append(
      groupsOfEntries([
        { at: new Date().toISOString(), institution: 'AI', role: 'case-manager', subject: `writer-${w}`, avs, category: 'ai.file', decision: 'ALLOWED', legalBasis: 'own mandate', consentId: null, purpose: 'cii', caseReference: null, subgraph: 'disability', requestId },
      ]),
    );
    process.stdout.write(`ack ${requestId} ${w}\n`);
  }
}

console.error('writing');
await Promise.all([0, 1, 2, 3].map(writer));
