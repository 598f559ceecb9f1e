import { TributaryError } from '../../errors.ts';
import { describeIdentity, type KafkaSecurity } from '../connection.ts';
import { authorizationRefused, credentialsRefused, type Access } from '../security-errors.ts';
import { lastAttempt, protocolErrors } from './wire.ts';
import { errnoCode, toError } from '../../common/to-error.ts';
import { causeOf, errorsOf } from '../error-fields.ts';

/**
 * Turns the library's refusals into errors that say what to fix: a failed SASL authentication into a
 * KafkaAuthenticationError, a *_AUTHORIZATION_FAILED answer into a KafkaAuthorizationError naming the
 * resource and the operation. Anything else comes back as the last attempt's error.
 */
export function accessError(error: unknown, security: KafkaSecurity | undefined, access: Access = {}): Error {
  if (error instanceof TributaryError) return error;
  if (isAuthenticationFailure(error)) return credentialsRefused(innermost(error), security);
  for (const kafkaError of protocolErrors(error)) {
    const refused = authorizationRefused(kafkaError, access, describeIdentity(security), error);
    if (refused) return refused;
  }
  const last = lastAttempt(error);
  return toError(last);
}

function isAuthenticationFailure(error: unknown): boolean {
  if (protocolErrors(error).includes('SASL_AUTHENTICATION_FAILED')) return true;
  return codes(error).includes('PLT_KFK_AUTHENTICATION');
}

function codes(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== 'object' || depth > 6) return [];
  const code = errnoCode(error);
  return [
    ...(code === undefined ? [] : [code]),
    ...errorsOf(error).flatMap((e) => codes(e, depth + 1)),
    ...codes(causeOf(error), depth + 1),
  ];
}

/** The error that says why: the library wraps it in the aggregate of a retried operation. */
function innermost(error: unknown): Error {
  let current = lastAttempt(error);
  for (let depth = 0; depth < 6; depth++) {
    const errors = errorsOf(current);
    if (errors.length === 0) break;
    current = errors.at(-1);
  }
  return toError(current);
}
