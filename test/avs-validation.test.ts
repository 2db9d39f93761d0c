import { describe, expect, it } from 'vitest';
import { Avs, ean13CheckDigit, formatAvs, parseAvs, requireAvs } from '../lib/avs.ts';

describe('AVS numbers are validated at the edge', () => {
  it('accepts the canonical and the undotted form, yielding the canonical one', () => {
    expect(parseAvs('756.1234.5678.97')).toEqual({ ok: true, avs: '756.1234.5678.97' });
    expect(parseAvs('7561234567897')).toEqual({ ok: true, avs: '756.1234.5678.97' });
    expect(parseAvs(' 756.0000.0000.19 ')).toEqual({ ok: true, avs: '756.0000.0000.19' });
  });

  it('answers as the schema does for every canonical-looking input (its fast path for canonical numbers)', () => {
    const inputs: string[] = [];
    for (let i = 0; i < 500; i++) {
      const first12 = `756${String(i * 1_999_993).padStart(9, '0').slice(0, 9)}`;
      for (let check = 0; check < 10; check++) inputs.push(formatAvs(`${first12}${check}`));
    }
    inputs.push('756.1234.5678.9', '756.1234.5678.970', '757.1234.5678.97', '756.1234.5678.9x', '756-1234-5678-97');
    for (const input of inputs) {
      const schema = Avs.safeParse(input);
      const r = parseAvs(input);
      expect(r.ok, input).toBe(schema.success);
      if (r.ok && schema.success) expect(r.avs).toBe(schema.data);
    }
  });

  it('rejects a wrong EAN-13 check digit', () => {
    const r = parseAvs('756.1234.5678.98');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/check digit/);
  });

  it.each(['', '756', '756.1234.5678', '757.1234.5678.97', '756-1234-5678-97', '756.12345.678.97', '75612345678970', 'abc'])(
    'rejects the malformed %j',
    (s) => expect(parseAvs(s).ok).toBe(false),
  );

  it('computes the EAN-13 check digit of every valid number', () => {
    for (let n = 0; n < 1000; n++) {
      const first12 = `756${String(n * 7919).padStart(9, '0')}`;
      const digit = ean13CheckDigit(first12);
      expect(parseAvs(`${first12}${digit}`).ok).toBe(true);
      expect(parseAvs(`${first12}${(digit + 1) % 10}`).ok).toBe(false);
    }
  });

  it('raises BAD_USER_INPUT for GraphQL input', () => {
    expect(() => requireAvs('756.1234.5678.90')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    expect(() => requireAvs(42)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});
