// What the situation is built from: the fields the gateway fetched for it (@requires) from
// each institution under the requester's own credential. A field the requester may not see
// arrives as null, exactly like a field without data, so nothing derived from it can show.
export interface SituationInputs {
  unemployment?: {
    registeredSince: string;
    entitlement?: { frameworkStart: string; exhaustionDate: string; remainingDays: number } | null;
    measures?: { kind: string; title: string; from: string; to: string }[] | null;
    employability?: { placeable: boolean } | null;
  } | null;
  disability?: {
    filedOn: string;
    status: string;
    measures?: { kind: string; title: string; from: string; to: string }[] | null;
    decision?: { invalidityDegree: number; pension: number; decidedOn: string } | null;
  } | null;
  socialAssistance?: { openedOn: string; benefits?: { complementsUnemployment: boolean } | null } | null;
  supplementaryBenefits?: { entitledSince: string; orpRegistrationRequired?: boolean | null } | null;
}

export type Institution = 'AC' | 'AI' | 'AS' | 'PC' | 'CII';

export interface SupportPeriod {
  institution: Institution;
  kind:
    | 'ORP_REGISTRATION'
    | 'DAILY_ALLOWANCE'
    | 'LABOUR_MARKET_MEASURE'
    | 'AI_REQUEST'
    | 'AI_MEASURE'
    | 'AI_PENSION'
    | 'SOCIAL_ASSISTANCE'
    | 'SUPPLEMENTARY_BENEFITS';
  label: string;
  from: string;
  to: string | null;
  category: string;
}

export interface SituationSignal {
  rule: string;
  message: string;
  from: string | null;
  to: string | null;
  categories: string[];
}

/** A signal rule: one file each in signals/, named after what it detects. */
export interface SignalRule {
  id: string;
  detect(periods: readonly SupportPeriod[], inputs: SituationInputs, today: string): SituationSignal[];
}
