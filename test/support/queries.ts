// The queries the tests ask, as a case platform would.
export const FILES = /* GraphQL */ `
  fragment Files on Person {
    avs
    unemployment {
      registeredSince office counsellor
      entitlement { frameworkStart frameworkEnd entitledDays remainingDays exhaustionDate }
      measures { kind title provider from to }
      employability { placeable assessedOn }
    }
    disability {
      filedOn status caseManager
      measures { kind title from to }
      decision { invalidityDegree pension decidedOn }
      workCapacity { usualActivityPercent adaptedActivityPercent assessedOn }
      medical { diagnoses limitations }
    }
    socialAssistance {
      openedOn center socialWorker
      benefits { monthlyAmount complementsUnemployment }
      situation { issues }
    }
    supplementaryBenefits { entitledSince monthlyAmount hypotheticalIncome orpRegistrationRequired }
  }
`;

export const PERSON = /* GraphQL */ `
  query Person($avs: ID!) { person(avs: $avs) { ...Files } }
  ${FILES}
`;

export const CASELOAD = /* GraphQL */ `
  query Caseload($avs: [ID!]!) { persons(avs: $avs) { ...Files } }
  ${FILES}
`;
