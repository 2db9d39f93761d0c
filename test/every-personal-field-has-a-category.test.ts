import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalogue, parseCatalogue } from '../lib/schema/catalogue.ts';
import { checkCategoryCoverage } from '../lib/schema/category-coverage.ts';
import { SUPERGRAPH_PATH } from '../lib/schema/compose.ts';

const catalogue = loadCatalogue();
const supergraph = readFileSync(SUPERGRAPH_PATH, 'utf8');

describe('every personal-data field belongs to a category of the catalogue', () => {
  const report = checkCategoryCoverage(supergraph, catalogue);

  it('finds no field without a category and no unknown category in the supergraph', () => {
    expect(report.problems).toEqual([]);
  });

  it('tags the contract fields with the contract categories', () => {
    const expected: Record<string, string> = {
      'Person.unemployment': 'ac.registration',
      'UnemploymentFile.registeredSince': 'ac.registration',
      'UnemploymentFile.office': 'ac.registration',
      'UnemploymentFile.counsellor': 'ac.registration',
      'UnemploymentFile.entitlement': 'ac.entitlement',
      'DailyAllowanceEntitlement.remainingDays': 'ac.entitlement',
      'UnemploymentFile.measures': 'ac.measures',
      'UnemploymentFile.employability': 'ac.employability',
      'Person.disability': 'ai.file',
      'DisabilityFile.filedOn': 'ai.file',
      'DisabilityFile.status': 'ai.file',
      'DisabilityFile.caseManager': 'ai.file',
      'DisabilityFile.measures': 'ai.measures',
      'DisabilityFile.decision': 'ai.decision',
      'DisabilityFile.workCapacity': 'ai.workCapacity',
      'DisabilityFile.medical': 'ai.medical',
      'MedicalAssessment.diagnoses': 'ai.medical',
      'Person.socialAssistance': 'as.dossier',
      'SocialAssistanceFile.openedOn': 'as.dossier',
      'SocialAssistanceFile.center': 'as.dossier',
      'SocialAssistanceFile.socialWorker': 'as.dossier',
      'SocialAssistanceFile.benefits': 'as.benefits',
      'SocialAssistanceFile.situation': 'as.situation',
      'Person.supplementaryBenefits': 'pc.entitlement',
      'SupplementaryBenefitsFile.entitledSince': 'pc.entitlement',
      'SupplementaryBenefitsFile.monthlyAmount': 'pc.entitlement',
      'SupplementaryBenefitsFile.hypotheticalIncome': 'pc.hypotheticalIncome',
      'SupplementaryBenefitsFile.orpRegistrationRequired': 'pc.hypotheticalIncome',
    };
    for (const [coordinate, category] of Object.entries(expected)) {
      expect(report.fieldCategories.get(coordinate), coordinate).toBe(category);
    }
  });

  it('would catch a field added without a category', () => {
    const broken = supergraph.replace(/(type UnemploymentFile[^{]*\{)/, '$1\n  nickname: String\n');
    expect(checkCategoryCoverage(broken, catalogue).problems).toContain('UnemploymentFile.nickname carries personal data but has no @category');
  });

  it('would catch a category missing from the catalogue', () => {
    const broken = supergraph.replace('@category(id: "ac.measures")', '@category(id: "ac.mesures")');
    expect(checkCategoryCoverage(broken, catalogue).problems).toContain(
      'UnemploymentFile.measures names category "ac.mesures", which is not in the catalogue',
    );
  });
});

describe('the category catalogue', () => {
  it('is zod-validated: a bad entry stops the load naming the fault', () => {
    expect(() => parseCatalogue({ categories: [{ id: 'AC entitlement', institution: 'XX', sensitive: 'yes', description: '' }] }, 'cats.json')).toThrow(
      /cats\.json[\s\S]*categories\.0\.id[\s\S]*categories\.0\.institution/,
    );
    const dup = { id: 'ac.entitlement', institution: 'AC', sensitive: false, description: 'x' };
    expect(() => parseCatalogue({ categories: [dup, dup] })).toThrow(/duplicate category "ac.entitlement"/);
  });

  it('marks the health and social-assistance categories as sensitive (nDSG art. 5)', () => {
    expect(catalogue.get('ai.medical').sensitive).toBe(true);
    expect(catalogue.get('as.dossier').sensitive).toBe(true);
    expect(catalogue.get('ac.registration').sensitive).toBe(false);
  });
});
