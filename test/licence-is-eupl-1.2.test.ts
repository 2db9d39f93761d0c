import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);

describe('the licence', () => {
  it('package.json names EUPL-1.2 by its SPDX id', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { license?: string };
    expect(pkg.license).toBe('EUPL-1.2');
  });

  it('LICENSE holds the full EUPL v. 1.2: its title, all fifteen articles and the appendix', () => {
    const text = readFileSync(new URL('LICENSE', root), 'utf8');
    expect(text.startsWith('EUROPEAN UNION PUBLIC LICENCE v. 1.2\n')).toBe(true);
    const articles = [
      'Definitions', 'Scope of the rights granted by the Licence', 'Communication of the Source Code',
      'Limitations on copyright', 'Obligations of the Licensee', 'Chain of Authorship', 'Disclaimer of Warranty',
      'Disclaimer of Liability', 'Additional agreements', 'Acceptance of the Licence', 'Information to the public',
      'Termination of the Licence', 'Miscellaneous', 'Jurisdiction', 'Applicable Law',
    ];
    articles.forEach((title, i) => expect(text).toContain(`\n${i + 1}. ${title}\n`));
    expect(text).toContain('‘Compatible Licences’ according to Article 5 EUPL are:');
    expect(text).toContain('European Union Public Licence (EUPL) v. 1.1, v. 1.2');
  });
});
