// The context of one gateway request.
export interface GatewayContext {
  requestId: string;
}
