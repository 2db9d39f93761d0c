// msw request handlers for the four institutional registries. The same handlers serve
// in-process interception (setupServer in tests) and real HTTP (server.ts, via getResponse).
import { http, HttpResponse, delay, type HttpHandler } from 'msw';
import { REGISTRY_PATHS, REGISTRY_SUBGRAPHS, type RegistrySubgraphName } from '../lib/config.ts';
import { LOOKUP_PATH, LookupRequest } from '../subgraphs/shared/registry-schema.ts';
import { lookupFiles } from './registry-data.ts';

export interface RegistryHandlerOptions {
  /** Delay every lookup answer by this many milliseconds (default 0: none). */
  latencyMs?: number;
  /** Called once per call whose body is a LookupRequest, on receipt (before latency and before AVS/section checks). */
  onCall?: (registry: RegistrySubgraphName, body: LookupRequest) => void;
  /** The mocks' day (ISO date): the painter's story moves with it (default MOCK_TODAY). */
  today?: () => string;
}

/** `*` matches any origin and base-path prefix, so any registry base URL ending in the registry's path works. */
export const registryLookupPattern = (registry: RegistrySubgraphName) => `*${REGISTRY_PATHS[registry]}${LOOKUP_PATH}`;

const badRequest = (error: string) => HttpResponse.json({ error }, { status: 400 });

export function createRegistryHandlers(options: RegistryHandlerOptions = {}): HttpHandler[] {
  const latencyMs = options.latencyMs ?? 0;
  return REGISTRY_SUBGRAPHS.map((registry) =>
    http.post(registryLookupPattern(registry), async ({ request }) => {
      let json: unknown;
      try {
        json = JSON.parse(await request.text());
      } catch {
        json = undefined;
      }
      const parsed = json === undefined ? undefined : LookupRequest.safeParse(json);
      if (parsed?.success) options.onCall?.(registry, parsed.data);
      // Latency applies to every answer, errors included, as a real remote registry's would.
      if (latencyMs > 0) await delay(latencyMs);

      if (!parsed) return badRequest('The request body is not valid JSON.');
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
        return badRequest(`The request body is not a lookup request: ${issues.join('; ')}`);
      }
      const result = lookupFiles(registry, parsed.data, options.today?.());
      return result.ok ? HttpResponse.json({ files: result.files }) : badRequest(result.error);
    }),
  );
}
