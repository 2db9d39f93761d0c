// What a subgraph is made of, and what every subgraph gets from the stack it runs in.
// A subgraph module exports one `define(deps)`; the shared server does the rest.
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Policy } from '../../lib/access/policy.ts';
import type { PersonFactsReader } from '../../lib/access/person-facts.ts';
import type { Journal } from '../../lib/audit/journal.ts';
import type { AuditLog } from '../../lib/audit/log.ts';
import type { CredentialVerifier } from '../../lib/auth/subgraph-credential.ts';
import type { HttpCaller } from '../../lib/http-client.ts';
import type { Config, SubgraphName } from '../../lib/config.ts';
import type { Clock } from '../../lib/clock.ts';
import type { ConsentStore } from '../../lib/consents/store.ts';
import type { CaseRepertory } from '../../lib/cases/store.ts';
import type { ConsentFormStore } from '../../lib/consent-forms/store.ts';
import type { CategoryCatalogue, Institution } from '../../lib/schema/catalogue.ts';
import type { AccessDecisions } from './request-decisions.ts';
import type { NotificationStore } from '../../lib/notifications/store.ts';
import type { WatchedRegistry } from '../../lib/notifications/watch.ts';

export interface SubgraphDeps {
  config: Config;
  catalogue: CategoryCatalogue;
  policy: Policy;
  consents: ConsentStore;
  /** The case repertory: written by openCase/closeCase, read with the consents for decisions. */
  cases: CaseRepertory;
  /** The signed consent forms a consent's evidence must name. */
  forms: ConsentFormStore;
  audit: AuditLog;
  /** Where decisions and actions are journaled (group commit onto `audit`). */
  journal: Journal;
  /** The consents of persons, read for a batch of decisions in one call. */
  readFacts: PersonFactsReader;
  clock: Clock;
  /** Verifies the gateway's credentials (its public keys only). */
  credentials: CredentialVerifier;
  /** The client registries are called with (CA bundle, client certificate, answer-size cap). */
  registryCall: HttpCaller;
  /** Notifications: observations, the feed, the webhook outbox. */
  notifications: NotificationStore;
  /** The institutions with a webhook endpoint. */
  webhookRecipients: ReadonlySet<Institution>;
  /** Whether consents and the access log can be reached now. */
  storesStatus(): 'up' | 'down';
}

/** The context every subgraph resolver receives. */
export interface SubgraphContext {
  requestId: string;
  /** The verified requester's decisions for this request. */
  access: AccessDecisions;
}

export interface SubgraphDefinition<Ctx extends object = object> {
  name: SubgraphName;
  /** The subgraph's own schema.graphql (the shared header is prepended). */
  schemaPath: string;
  resolvers: GraphQLResolverMap<SubgraphContext & Ctx>;
  /** The per-request part of the context (loaders, ...). */
  context(): Ctx;
  /** What the subgraph's /healthz adds about its dependencies, e.g. its registry's circuit. */
  health?(): Record<string, string>;
  /** The institution's registry as notifications observe it (institutional subgraphs). */
  watch?: WatchedRegistry;
}
