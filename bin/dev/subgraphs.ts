// The child process of `npm run dev`: the mock registries and every subgraph from the working
// tree (enforcement on), without a gateway; `npm run dev` restarts it on every change so that
// edited modules are loaded afresh. It verifies the credentials of the parent's gateway with
// GATEWAY_CREDENTIAL_PUBLIC_KEY_FILES, and tells the parent over IPC when it serves.
import { loadConfig } from '../../lib/config.ts';
import { startStack } from '../stack.ts';

const stack = await startStack({ config: loadConfig(), gateway: false });
process.send?.({ ready: true });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void stack.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent gone (killed without a word): nothing is left behind.
process.on('disconnect', stop);
