declare const offsetBrand: unique symbol;

/**
 * A position in a partition, as one type everywhere above the event-log adapters. A bigint because
 * the hot paths compare offsets and step to the next one for every record; the brand keeps a plain
 * number of records, a timestamp or a count from passing for an offset. Adapters turn their client's
 * representation (kafkajs' decimal strings, the wire's int64) into an Offset once, where records
 * arrive, and back where requests leave.
 */
export type Offset = bigint & { readonly [offsetBrand]: true };

/** An offset from a whole number (a client's int64, a count, a stored checkpoint). */
export function toOffset(value: bigint | number): Offset {
  return (typeof value === 'bigint' ? value : BigInt(value)) as Offset;
}

/** The offset after `current`: where reading continues after the record at `current`. */
export function nextOffset(current: Offset): Offset {
  return (current + 1n) as Offset;
}

/** An offset from its decimal text, as kafkajs carries offsets. */
export function parseOffset(text: string): Offset {
  return BigInt(text) as Offset;
}

/** The decimal text of an offset, for clients and formats that carry offsets as strings. */
export function formatOffset(value: Offset): string {
  return value.toString();
}
