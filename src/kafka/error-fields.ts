/**
 * Fields of an error whose shape the Kafka clients do not promise: each reads undefined when the value
 * is not an object or has no such field. Client errors wrap one another (`cause`), name themselves or
 * their broker answer (`name`, `type`; a `code` is read by `errnoCode` in common/to-error.ts) and
 * aggregate per-resource errors (`errors`), so the adapters walk them by what is there rather than by
 * what a cast claims.
 */
function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

export function causeOf(error: unknown): unknown {
  return isObject(error) && 'cause' in error ? error.cause : undefined;
}

export function nameOf(error: unknown): unknown {
  return isObject(error) && 'name' in error ? error.name : undefined;
}

/** kafkajs' protocol error name (`ILLEGAL_GENERATION`, ...). */
export function typeOf(error: unknown): unknown {
  return isObject(error) && 'type' in error ? error.type : undefined;
}

export function messageOf(error: unknown): unknown {
  return isObject(error) && 'message' in error ? error.message : undefined;
}

/** The Kafka API a @platformatic/kafka protocol error answered (its `apiId`). */
export function apiIdOf(error: unknown): unknown {
  return isObject(error) && 'apiId' in error ? error.apiId : undefined;
}

/** The per-resource errors an aggregate error carries (none when it is not one). */
export function errorsOf(error: unknown): readonly unknown[] {
  const errors: unknown = isObject(error) && 'errors' in error ? error.errors : undefined;
  return Array.isArray(errors) ? errors : [];
}
