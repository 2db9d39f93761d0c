import type { GraphQLError } from 'graphql';
import { errors } from '../../lib/errors.ts';

/** An operation over one of the gateway's limits: bad input, naming the limit. */
export const limitError = (limit: string, message: string): GraphQLError => errors.badUserInput(message, { limit });
