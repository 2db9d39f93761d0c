// Starts a whole stack on free loopback ports for a test file, and a tiny GraphQL client.
import { loadConfig } from '../../lib/config.ts';
import { startStack, type Stack, type StackOptions } from '../../bin/stack.ts';

export async function startTestStack(opts: Partial<StackOptions> = {}): Promise<Stack> {
  const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1' });
  return startStack({ config, ephemeralPorts: true, ...opts });
}

export interface GraphQLResponse<D = any> {
  status: number;
  body: { data?: D; errors?: Array<{ message: string; path?: (string | number)[]; extensions?: Record<string, any> }> };
  text: string;
}

export async function gql<D = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<D>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}
