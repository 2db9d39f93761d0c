// Finds generated mock persons with a file at every institution, so that every category has
// a field to decide on.
import { ean13CheckDigit, formatAvs } from '../../lib/avs.ts';
import { lookupPerson } from '../../mocks/registry-data.ts';

export function personsWithEveryFile(n: number, start = 200_000_000): string[] {
  const found: string[] = [];
  for (let i = start; found.length < n && i < start + 5_000_000; i += 7) {
    const first12 = `756${String(i).padStart(9, '0')}`;
    const avs = formatAvs(`${first12}${ean13CheckDigit(first12)}`);
    const p = lookupPerson(avs);
    if (p.unemployment && p.disability && p.socialAssistance && p.supplementaryBenefits) found.push(avs);
  }
  if (found.length < n) throw new Error(`only ${found.length} persons with every file`);
  return found;
}
