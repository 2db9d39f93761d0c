// The context of one gateway request: who asks, for what purpose, in which case.
import type { Requester } from '../lib/access/requester.ts';

export interface GatewayContext {
  requestId: string;
  requester: Requester;
  purpose: string | undefined;
  caseReference: string | undefined;
}
