// The input as it was fed. The feeder sends a slice again when a send fails, and a send can fail after
// the broker wrote it (the answer lost while a broker goes down): then the slice's records are in
// their topics twice, and the system rightly acts on both copies. The oracle must see them too.
import type { RecordedRecord } from 'tributary/testing';
import type { OutgoingRecord } from '../../src/kafka/port.ts';
import type { CommittedRecord } from './committed.ts';

const hex = (bytes: Uint8Array | null) => (bytes === null ? '-' : Buffer.from(bytes).toString('hex'));
const identity = (topic: string, key: Uint8Array | null, value: Uint8Array | null) =>
  `${topic} ${hex(key)} ${hex(value)}`;

/**
 * The recording with each record repeated as often as its bytes were committed (each extra copy right
 * after the recording's last one), or the very recording when nothing was committed more often than
 * it was recorded. `encoded[i]` is `recording[i]` as it was sent; `committed` is what the input topics
 * hold, the records the system wrote to them among it (those match no recorded record).
 */
export function asFed(
  recording: readonly RecordedRecord[],
  encoded: readonly OutgoingRecord[],
  committed: readonly CommittedRecord[],
): { records: readonly RecordedRecord[]; extra: number } {
  const recorded = new Map<string, number>();
  for (const r of encoded) {
    const id = identity(r.topic, r.key, r.value);
    recorded.set(id, (recorded.get(id) ?? 0) + 1);
  }
  const extraCopies = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const r of committed) {
    const id = identity(r.topic, r.key, r.value);
    const times = recorded.get(id);
    if (times === undefined) continue;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (seen.get(id)! > times) extraCopies.set(id, (extraCopies.get(id) ?? 0) + 1);
  }
  if (extraCopies.size === 0) return { records: recording, extra: 0 };
  const records: RecordedRecord[] = [];
  const left = new Map(recorded);
  let extra = 0;
  for (const [i, record] of recording.entries()) {
    records.push(record);
    const id = identity(encoded[i]!.topic, encoded[i]!.key, encoded[i]!.value);
    left.set(id, left.get(id)! - 1);
    if (left.get(id) !== 0) continue;
    for (let copy = 0; copy < (extraCopies.get(id) ?? 0); copy++, extra++) records.push(record);
  }
  return { records, extra };
}
