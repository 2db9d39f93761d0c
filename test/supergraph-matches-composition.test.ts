import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compose, SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

describe('schema/supergraph.graphql', () => {
  it('is exactly what `npm run compose` writes from the subgraph SDLs today', () => {
    const outcome = compose();
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8'), 'run `npm run compose` and commit the result').toBe(outcome.supergraphSdl);
  });

  it('keeps the @category directive through composition', () => {
    const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
    expect(sdl).toMatch(/directive @category\(id: String!\) on FIELD_DEFINITION/);
    expect(sdl).toMatch(/\n\s+entitlement: DailyAllowanceEntitlement\b[^\n]*@category\(id: "ac.entitlement"\)/);
    expect(sdl).toMatch(/\n\s+medical: MedicalAssessment\b[^\n]*@category\(id: "ai.medical"\)/);
  });
});
