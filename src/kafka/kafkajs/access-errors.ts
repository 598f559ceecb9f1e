import type { Kafka } from 'kafkajs';
import { TributaryError } from '../../errors.ts';
import { describeIdentity, type KafkaSecurity } from '../connection.ts';
import { authorizationRefused, credentialsRefused, type Access } from '../security-errors.ts';
import { kafkaErrorType } from './convert.ts';
import { causeOf, nameOf } from '../error-fields.ts';

export type { Access };

interface ClientState {
  readonly security: KafkaSecurity | undefined;
  /** When each kind of refusal was last logged by the client (see `noteRefusal`). */
  readonly refusals: Map<string, number>;
}

const clients = new WeakMap<Kafka, ClientState>();

/** Remembers how a client connects, so its errors can say who was refused and what to check. */
export function rememberSecurity(kafkas: readonly Kafka[], security: KafkaSecurity | undefined): void {
  const state: ClientState = { security, refusals: new Map() };
  for (const kafka of kafkas) clients.set(kafka, state);
}

/** kafkajs' words for the refusals it may only log (see `noteRefusal`). */
const REFUSALS: Record<string, string> = {
  'Not authorized to access group: Group authorization failed': 'GROUP_AUTHORIZATION_FAILED',
  'Transactional Id authorization failed': 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
};
/** How long a logged refusal explains a coordinator that could not be found. */
const REFUSAL_MEMORY_MS = 60_000;

/**
 * Notes a refusal kafkajs logs. When the broker refuses to name a group's or a transaction's
 * coordinator, kafkajs throws only "Failed to find group coordinator" and logs the broker's answer;
 * this is how that answer gets back into the error.
 */
export function noteRefusal(kafka: Kafka, errorText: unknown): void {
  const type = typeof errorText === 'string' ? REFUSALS[errorText] : undefined;
  if (type) clients.get(kafka)?.refusals.set(type, Date.now());
}

/**
 * Turns kafkajs' refusals into errors that say what to fix: a failed SASL authentication into a
 * KafkaAuthenticationError, a *_AUTHORIZATION_FAILED answer into a KafkaAuthorizationError naming
 * the resource and the operation. Anything else is returned as it is.
 */
export function accessError(error: unknown, kafka: Kafka, access: Access = {}): unknown {
  if (error instanceof TributaryError) return error;
  const state = clients.get(kafka);
  const security = state?.security;
  if (isAuthenticationFailure(error)) return credentialsRefused(error as Error, security);
  const kafkaError = kafkaErrorType(error) ?? refusedCoordinator(error, access, state);
  return (kafkaError && authorizationRefused(kafkaError, access, describeIdentity(security), error)) ?? error;
}

/** The refusal behind kafkajs' "Failed to find group coordinator", when one was logged just before. */
function refusedCoordinator(
  error: unknown,
  access: Access,
  state: ClientState | undefined,
): string | undefined {
  if (nameOf(error) !== 'KafkaJSGroupCoordinatorNotFound' || !state) return undefined;
  const recent = (type: string) => Date.now() - (state.refusals.get(type) ?? 0) < REFUSAL_MEMORY_MS;
  if (access.transactionalId && recent('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'))
    return 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
  if (access.group && recent('GROUP_AUTHORIZATION_FAILED')) return 'GROUP_AUTHORIZATION_FAILED';
  return undefined;
}

function isAuthenticationFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (nameOf(current) === 'KafkaJSSASLAuthenticationError') return true;
    if (kafkaErrorType(current) === 'SASL_AUTHENTICATION_FAILED') return true;
    current = causeOf(current);
  }
  return false;
}
