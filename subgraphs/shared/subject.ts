// Whose data an object holds. Person objects carry `avs`; the objects a subgraph builds
// under a person (a file) carry the person's AVS under this symbol, invisible to clients.
export const SUBJECT = Symbol('subject');

export function subjectOf(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const s = source as { [SUBJECT]?: string; avs?: unknown };
  return s[SUBJECT] ?? (typeof s.avs === 'string' ? s.avs : undefined);
}
