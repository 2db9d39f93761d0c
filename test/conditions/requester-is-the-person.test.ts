import { describe, expect, it } from 'vitest';
import { requesterIsThePerson } from '../../lib/access/conditions/requester-is-the-person.ts';
import { input } from './support.ts';

describe('condition requesterIsThePerson', () => {
  const person = { institution: 'CII' as const, role: 'data-subject', subject: '756.1234.5678.97' };
  it('is met only when the token subject is the AVS number whose data is asked', () => {
    expect(requesterIsThePerson.check({}, input({ requester: person, avs: '756.1234.5678.97' }))).toBeNull();
    expect(requesterIsThePerson.check({}, input({ requester: person, avs: '756.9876.5432.17' }))).toBe('the requester is not the person concerned');
  });
  it('takes no parameters and describes itself for the DPO', () => {
    expect(requesterIsThePerson.params.safeParse({}).success).toBe(true);
    expect(requesterIsThePerson.describe({})).toMatch(/the requester is the person concerned/);
  });
});
