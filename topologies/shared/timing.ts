/**
 * The orders system's times, each stated once: the joins' window and grace, and what the stores that
 * remember orders derive from them. Every time is in stream time.
 */
const MINUTE_MS = 60_000;

/** The joins' window (either way) and validations-aggregator's session inactivity gap. */
export const FIVE_MINUTES_MS = 5 * MINUTE_MS;
/** How late a record may arrive and still be aggregated and joined (fraud's sessions take longer). */
export const GRACE_MS = 60 * MINUTE_MS;

/**
 * How long after a join's first result for an order it can produce another, for the joins of
 * payments and validations-aggregator (FIVE_MINUTES_MS either way, GRACE_MS): every record the join
 * pairs with the order lies within its window of the order, so all results lie within 2 × 5 minutes
 * of each other; and the join pairs only records it still holds, for 5 + 5 minutes plus the grace.
 */
export const JOIN_RESULTS_SPAN_MS = 2 * FIVE_MINUTES_MS + (2 * FIVE_MINUTES_MS + GRACE_MS);

/** fraud's customer sessions: closed after an hour without orders, taking orders up to a day late. */
export const FRAUD_SESSION_GAP_MS = 60 * MINUTE_MS;
export const FRAUD_SESSION_GRACE_MS = 24 * 60 * MINUTE_MS;
