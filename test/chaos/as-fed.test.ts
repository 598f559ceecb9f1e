import { describe, expect, it } from 'vitest';
import type { RecordedRecord } from 'tributary/testing';
import { asFed } from '../../scripts/chaos/as-fed.ts';
import type { CommittedRecord } from '../../scripts/chaos/committed.ts';
import { encode } from '../../scripts/chaos/feeder.ts';
import { topics, type Order } from '../../schemas/topics.ts';

// The input as the chaos feeder fed it, for the oracle: no broker, records made by hand.

const order = (id: string, state: Order['state'] = 'CREATED'): RecordedRecord => ({
  topic: topics.orders.name,
  key: id,
  value: { id, customerId: 1, state, product: 'JUMPERS', quantity: 1, price: 10, failureReason: null },
  timestamp: 1_700_000_000_000,
});
const recording = [order('o-1'), order('o-2'), order('o-3')];
const encoded = recording.map((r) => encode(r, 3));
const committed = (records: readonly RecordedRecord[]): CommittedRecord[] =>
  records.map((r, i) => {
    const { partition, key, value } = encode(r, 3);
    return { topic: r.topic, partition, offset: String(i), key, value };
  });
const ids = (records: readonly RecordedRecord[]) => records.map((r) => String(r.key));

describe('the input as it was fed', () => {
  it('is the recording when each record is in its topic as often as recorded', () => {
    // Among them a record the system wrote to the same topic, which is no input.
    const fed = asFed(recording, encoded, committed([...recording, order('o-1', 'VALIDATED')]));
    expect(fed.extra).toBe(0);
    expect(fed.records).toBe(recording);
  });

  it('repeats a record committed twice right after it', () => {
    const fed = asFed(
      recording,
      encoded,
      committed([recording[0]!, recording[1]!, recording[1]!, recording[2]!]),
    );
    expect(fed.extra).toBe(1);
    expect(ids(fed.records)).toEqual(['o-1', 'o-2', 'o-2', 'o-3']);
  });

  it('counts a record recorded twice once per copy beyond the recording', () => {
    const twice = [order('o-1'), order('o-2'), order('o-1')];
    const fed = asFed(
      twice,
      twice.map((r) => encode(r, 3)),
      committed([twice[0]!, twice[1]!, twice[2]!, twice[0]!]),
    );
    expect(fed.extra).toBe(1);
    expect(ids(fed.records)).toEqual(['o-1', 'o-2', 'o-1', 'o-1']);
  });
});
