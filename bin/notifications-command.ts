// `npm run notifications -- <dead-letters|retry ID|retry --all|public-key>`: the webhook
// deliveries given up on, for operators (no person's AVS number is shown), putting them back in
// the outbox, and the public key receivers verify signatures with.
import { loadConfig } from '../lib/config.ts';
import { StartupError } from '../lib/errors.ts';
import { publicKeyPem, webhookSigningKey } from '../lib/notifications/webhooks.ts';
import { openStores } from '../lib/stores.ts';
import { answerHelp } from './cli.ts';
import pino from 'pino';
import { logTo } from '../lib/log.ts';

answerHelp(`usage: npm run notifications -- <command>
  dead-letters     the webhook deliveries given up on after their last attempt, one JSON line
                   each: id (the idempotency key), recipient, rule, category, attempts, last
                   error, when (no person's data)
  retry ID         puts a dead letter back in the outbox: sent at the next webhook run
  retry --all      puts every dead letter back
  public-key       the key id and the Ed25519 public key (PEM) receivers verify deliveries with
  Reads the shared store in Redis (REDIS_URL); the settings are those of npm start.`);

const [command, arg] = process.argv.slice(2).filter((a) => a !== '--');
try {
  const config = loadConfig();
  if (command === 'public-key') {
    const key = webhookSigningKey(config.notifications.signingKeyFile, config.notifications.keyId, config.env === 'production');
    process.stdout.write(`key id: ${key.keyId}\n${publicKeyPem(key)}`);
    process.exit(0);
  }
  if (command !== 'dead-letters' && command !== 'retry') {
    console.error('notifications: a command is dead-letters, retry ID, retry --all or public-key (--help)');
    process.exit(2);
  }
  if (!config.redisUrl) {
    console.error('notifications: the dead letters of a stack without Redis live in its process only; set REDIS_URL to the stack\'s Redis');
    process.exit(2);
  }
  // stdout is the answer (JSON lines); the stores' log lines go to stderr.
  logTo(pino.destination(2));
  const stores = openStores(config);
  try {
    await stores.ready();
    const dead = await stores.notifications.deadLetters();
    if (command === 'dead-letters') {
      for (const d of dead) {
        const n = d.notification;
        console.log(JSON.stringify({ id: n.id, recipient: n.recipient, rule: n.rule, category: n.category, attempts: d.attempts, lastError: d.lastError, deadAt: d.deadAt }));
      }
      console.error(`${dead.length} dead letter(s)`);
    } else {
      if (!arg) {
        console.error('notifications: retry needs a dead letter id or --all');
        process.exitCode = 2;
      } else {
        const ids = arg === '--all' ? dead.map((d) => d.notification.id) : [arg];
        let retried = 0;
        for (const id of ids) if (await stores.notifications.retryDeadLetter(id, new Date().toISOString())) retried++;
        console.log(`${retried} dead letter(s) back in the outbox`);
        if (retried < ids.length) process.exitCode = 1;
      }
    }
  } finally {
    await stores.close();
  }
} catch (e) {
  console.error(e instanceof StartupError ? `Cannot start: ${e.message}` : e);
  process.exit(1);
}
