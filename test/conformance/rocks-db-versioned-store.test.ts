// Kafka Streams' RocksDBVersionedStoreTest, transcribed: the versioned key-value store (KIP-889), kept
// in LevelDB here as Kafka Streams keeps it in RocksDB. Kafka Streams splits a key's history into
// segments of a third of the history retention; Tributary keeps a key's history in one row, so the
// cases about segments check the same reads across the same timestamps.
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { Serdes, Stores, VersionedStore, type VersionedKeyValueStore } from 'tributary';
import type { ChangelogRecord } from '../../src/state/bytes.ts';
import { StoreHarness } from '../state/harness.ts';
import { javaTest } from './support/conformance.ts';

const HISTORY_RETENTION = 300_000;
const GRACE_PERIOD = HISTORY_RETENTION; // the history retention doubles as the grace period
const SEGMENT_INTERVAL = HISTORY_RETENTION / 3;
const BASE_TIMESTAMP = 10;
const { PUT_RETURN_CODE_VALID_TO_UNDEFINED: LATEST, PUT_RETURN_CODE_NOT_PUT: NOT_PUT } = VersionedStore;

describe('RocksDBVersionedStoreTest', () => {
  let harness: StoreHarness;
  let store: VersionedKeyValueStore<string, string>;
  let drain: () => ChangelogRecord[];

  const spec = (historyRetentionMs = HISTORY_RETENTION) =>
    Stores.versionedKeyValue({
      name: 'myversionedrocks',
      keySerde: Serdes.String(),
      valueSerde: Serdes.String(),
      historyRetentionMs,
    });

  async function open(historyRetentionMs?: number) {
    const opened = await harness.openStore<VersionedKeyValueStore<string, string>>(spec(historyRetentionMs));
    store = opened.store;
    drain = () => opened.managed.drainChangelog();
  }

  beforeEach(async () => {
    harness = new StoreHarness();
    await open();
  });
  afterEach(() => harness.cleanup());

  const putToStore = (key: string, value: string | null, timestamp: number, expectedValidTo: number) =>
    expect(store.put(key, value, timestamp), `put ${key}=${value}@${timestamp}`).toBe(expectedValidTo);
  const verifyGetValueFromStore = (key: string, value: string, timestamp: number) =>
    expect(store.get(key)).toEqual({ value, timestamp });
  const verifyGetNullFromStore = (key: string) => expect(store.get(key)).toBeUndefined();
  const verifyTimestampedGetValueFromStore = (
    key: string,
    asOf: number,
    value: string,
    timestamp: number,
    validTo: number,
  ) =>
    expect(store.get(key, asOf), `get ${key} as of ${asOf}`).toEqual(
      validTo === LATEST ? { value, timestamp } : { value, timestamp, validTo },
    );
  const verifyTimestampedGetNullFromStore = (key: string, asOf: number) =>
    expect(store.get(key, asOf), `get ${key} as of ${asOf}`).toBeUndefined();

  javaTest('shouldPutLatest', () => {
    putToStore('k', 'v', BASE_TIMESTAMP, LATEST);
    putToStore('k', 'v2', BASE_TIMESTAMP + 1, LATEST);
    verifyGetValueFromStore('k', 'v2', BASE_TIMESTAMP + 1);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'v', BASE_TIMESTAMP, BASE_TIMESTAMP + 1);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP + 1, 'v2', BASE_TIMESTAMP + 1, LATEST);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP + 2, 'v2', BASE_TIMESTAMP + 1, LATEST);
  });

  javaTest('shouldPutNullAsLatest', () => {
    putToStore('k', null, BASE_TIMESTAMP, LATEST);
    putToStore('k', null, BASE_TIMESTAMP + 1, LATEST);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP + 1);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP + 2);
  });

  javaTest('shouldPutOlderWithNonNullLatest', () => {
    putToStore('k', 'v', BASE_TIMESTAMP, LATEST);
    putToStore('k', 'v2', BASE_TIMESTAMP - 2, BASE_TIMESTAMP);
    putToStore('k', 'v1', BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    putToStore('k', 'v4', BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
    verifyGetValueFromStore('k', 'v', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'v', BASE_TIMESTAMP, LATEST);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 1, 'v1', BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 2, 'v2', BASE_TIMESTAMP - 2, BASE_TIMESTAMP - 1);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 3, 'v4', BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
  });

  javaTest('shouldPutOlderWithNullLatest', () => {
    putToStore('k', null, BASE_TIMESTAMP, LATEST);
    putToStore('k', 'v2', BASE_TIMESTAMP - 2, BASE_TIMESTAMP);
    putToStore('k', 'v1', BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    putToStore('k', 'v4', BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 1, 'v1', BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 2, 'v2', BASE_TIMESTAMP - 2, BASE_TIMESTAMP - 1);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 3, 'v4', BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
  });

  javaTest('shouldPutOlderNullWithNonNullLatest', () => {
    putToStore('k', 'v', BASE_TIMESTAMP, LATEST);
    putToStore('k', null, BASE_TIMESTAMP - 2, BASE_TIMESTAMP);
    putToStore('k', null, BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    putToStore('k', null, BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
    putToStore('k', 'v5', BASE_TIMESTAMP - 5, BASE_TIMESTAMP - 4);
    putToStore('k', 'v3', BASE_TIMESTAMP - 3, BASE_TIMESTAMP - 2);
    putToStore('k', null, BASE_TIMESTAMP - 6, BASE_TIMESTAMP - 5);
    verifyGetValueFromStore('k', 'v', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'v', BASE_TIMESTAMP, LATEST);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 2);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 3, 'v3', BASE_TIMESTAMP - 3, BASE_TIMESTAMP - 2);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 4);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 5, 'v5', BASE_TIMESTAMP - 5, BASE_TIMESTAMP - 4);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 6);
  });

  javaTest('shouldPutOlderNullWithNullLatest', () => {
    putToStore('k', null, BASE_TIMESTAMP, LATEST);
    putToStore('k', null, BASE_TIMESTAMP - 2, BASE_TIMESTAMP);
    putToStore('k', null, BASE_TIMESTAMP - 1, BASE_TIMESTAMP);
    putToStore('k', null, BASE_TIMESTAMP - 4, BASE_TIMESTAMP - 2);
    putToStore('k', 'v3', BASE_TIMESTAMP - 3, BASE_TIMESTAMP - 2);
    putToStore('k', 'v5', BASE_TIMESTAMP - 5, BASE_TIMESTAMP - 4);
    putToStore('k', null, BASE_TIMESTAMP - 6, BASE_TIMESTAMP - 5);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 2);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 3, 'v3', BASE_TIMESTAMP - 3, BASE_TIMESTAMP - 2);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 4);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP - 5, 'v5', BASE_TIMESTAMP - 5, BASE_TIMESTAMP - 4);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 6);
  });

  javaTest('shouldPutRepeatTimestampAsLatest', () => {
    putToStore('k', 'to_be_replaced', BASE_TIMESTAMP, LATEST);
    putToStore('k', 'b', BASE_TIMESTAMP, LATEST);
    verifyGetValueFromStore('k', 'b', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'b', BASE_TIMESTAMP, LATEST);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
    putToStore('k', null, BASE_TIMESTAMP, LATEST);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
    putToStore('k', null, BASE_TIMESTAMP, LATEST);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
    putToStore('k', 'b', BASE_TIMESTAMP, LATEST);
    verifyGetValueFromStore('k', 'b', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'b', BASE_TIMESTAMP, LATEST);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP - 1);
  });

  /** The puts of shouldPutRepeatTimestamps (and of its restore twin), with the validTo each returns. */
  const repeatTimestampPuts: [string | null, number, number][] = [
    ['to_be_replaced', SEGMENT_INTERVAL + 20, LATEST],
    [null, SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 20],
    ['to_be_replaced', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 20],
    ['to_be_replaced', SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 20],
    ['to_be_replaced', SEGMENT_INTERVAL + 1, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 1],
    [null, SEGMENT_INTERVAL + 1, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL + 5, SEGMENT_INTERVAL + 10],
    ['vp5', SEGMENT_INTERVAL + 5, SEGMENT_INTERVAL + 10],
    ['to_be_replaced', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL - 1],
    ['vn5', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL - 1],
    [null, SEGMENT_INTERVAL + 20, LATEST],
    [null, SEGMENT_INTERVAL + 20, LATEST],
    ['vn6', SEGMENT_INTERVAL - 6, SEGMENT_INTERVAL - 5],
  ];

  /** The reads shared by the cases whose history ends with tombstones around vp5, vn5 and vn6. */
  function verifyVp5Vn5Vn6History() {
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 30);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 15);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 6,
      'vp5',
      SEGMENT_INTERVAL + 5,
      SEGMENT_INTERVAL + 10,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 2);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 1);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      'vn5',
      SEGMENT_INTERVAL - 5,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 6,
      'vn6',
      SEGMENT_INTERVAL - 6,
      SEGMENT_INTERVAL - 5,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 8);
  }

  javaTest('shouldPutRepeatTimestamps', () => {
    for (const [value, timestamp, validTo] of repeatTimestampPuts) putToStore('k', value, timestamp, validTo);
    verifyVp5Vn5Vn6History();
  });

  javaTest('shouldPutIntoMultipleSegments', () => {
    putToStore('k', null, SEGMENT_INTERVAL - 20, LATEST);
    putToStore('k', 'vn10', SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 1, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL + 1, LATEST);
    putToStore('k', 'vp10', SEGMENT_INTERVAL + 10, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL + 20, LATEST);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 30);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 15,
      'vp10',
      SEGMENT_INTERVAL + 10,
      SEGMENT_INTERVAL + 20,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 5);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 2);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 1);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      'vn10',
      SEGMENT_INTERVAL - 10,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 15);
  });

  /** The puts of shouldMoveRecordToOlderSegmentDuringPut (and of shouldRestore). */
  const olderSegmentPuts: [string, number, number][] = [
    ['vp20', SEGMENT_INTERVAL + 20, LATEST],
    ['vp10', SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20],
    ['vn10', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 10],
    ['vn2', SEGMENT_INTERVAL - 2, SEGMENT_INTERVAL + 10],
    ['vn1', SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 10],
    ['vp1', SEGMENT_INTERVAL + 1, SEGMENT_INTERVAL + 10],
  ];

  function verifyOlderSegmentHistory() {
    verifyGetValueFromStore('k', 'vp20', SEGMENT_INTERVAL + 20);
    verifyTimestampedGetValueFromStore('k', SEGMENT_INTERVAL + 30, 'vp20', SEGMENT_INTERVAL + 20, LATEST);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 15,
      'vp10',
      SEGMENT_INTERVAL + 10,
      SEGMENT_INTERVAL + 20,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 5,
      'vp1',
      SEGMENT_INTERVAL + 1,
      SEGMENT_INTERVAL + 10,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL,
      'vn1',
      SEGMENT_INTERVAL - 1,
      SEGMENT_INTERVAL + 1,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 1,
      'vn1',
      SEGMENT_INTERVAL - 1,
      SEGMENT_INTERVAL + 1,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 2,
      'vn2',
      SEGMENT_INTERVAL - 2,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      'vn10',
      SEGMENT_INTERVAL - 10,
      SEGMENT_INTERVAL - 2,
    );
  }

  javaTest('shouldMoveRecordToOlderSegmentDuringPut', () => {
    for (const [value, timestamp, validTo] of olderSegmentPuts) putToStore('k', value, timestamp, validTo);
    verifyOlderSegmentHistory();
  });

  /** The puts of shouldMoveRecordToOlderSegmentWithNullsDuringPut (and of shouldRestoreWithNulls). */
  const olderSegmentNullPuts: [string | null, number, number][] = [
    [null, SEGMENT_INTERVAL + 20, LATEST],
    [null, SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL + 1, SEGMENT_INTERVAL + 20],
    [null, SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL - 1],
    [null, SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20],
    ['vp5', SEGMENT_INTERVAL + 5, SEGMENT_INTERVAL + 10],
    ['vn5', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL - 1],
    ['vn6', SEGMENT_INTERVAL - 6, SEGMENT_INTERVAL - 5],
  ];

  javaTest('shouldMoveRecordToOlderSegmentWithNullsDuringPut', () => {
    for (const [value, timestamp, validTo] of olderSegmentNullPuts)
      putToStore('k', value, timestamp, validTo);
    verifyVp5Vn5Vn6History();
  });

  javaTest('shouldFallThroughToExistingOlderSegmentAsLatestDuringPut', () => {
    putToStore('k', null, SEGMENT_INTERVAL - 5, LATEST);
    putToStore('k', 'vn6', SEGMENT_INTERVAL - 6, SEGMENT_INTERVAL - 5);
    putToStore('k', 'vp20', SEGMENT_INTERVAL + 20, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20);
    putToStore('k', null, SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 10);
    putToStore('k', 'vn2', SEGMENT_INTERVAL - 2, SEGMENT_INTERVAL - 1);
    verifyGetValueFromStore('k', 'vp20', SEGMENT_INTERVAL + 20);
    verifyTimestampedGetValueFromStore('k', SEGMENT_INTERVAL + 30, 'vp20', SEGMENT_INTERVAL + 20, LATEST);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 12);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 1);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 2,
      'vn2',
      SEGMENT_INTERVAL - 2,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 5);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 6,
      'vn6',
      SEGMENT_INTERVAL - 6,
      SEGMENT_INTERVAL - 5,
    );
  });

  javaTest('shouldPutNonLatestTombstoneIntoNewSegmentWithValidTo', () => {
    putToStore('k', 'vp30', SEGMENT_INTERVAL + 30, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 30);
    putToStore('k', 'vn5', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL + 30);
    putToStore('k', 'vn1', SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 30);
    putToStore('k', null, SEGMENT_INTERVAL - 2, SEGMENT_INTERVAL - 1);
    verifyGetValueFromStore('k', 'vp30', SEGMENT_INTERVAL + 30);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 10,
      'vn1',
      SEGMENT_INTERVAL - 1,
      SEGMENT_INTERVAL + 30,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 1,
      'vn1',
      SEGMENT_INTERVAL - 1,
      SEGMENT_INTERVAL + 30,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 2);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      'vn5',
      SEGMENT_INTERVAL - 5,
      SEGMENT_INTERVAL - 2,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 10);
  });

  javaTest('shouldDelete', () => {
    putToStore('k', 'vp20', SEGMENT_INTERVAL + 20, LATEST);
    putToStore('k', 'vp10', SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20);
    putToStore('k', 'vn10', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 10);
    putToStore('k', 'vn2', SEGMENT_INTERVAL - 2, SEGMENT_INTERVAL + 10);
    expect(store.delete('k', SEGMENT_INTERVAL - 5)).toMatchObject({
      value: 'vn10',
      timestamp: SEGMENT_INTERVAL - 10,
    });
    expect(store.delete('k', SEGMENT_INTERVAL + 10)).toMatchObject({
      value: 'vp10',
      timestamp: SEGMENT_INTERVAL + 10,
    });
    expect(store.delete('k', SEGMENT_INTERVAL + 10)).toBeUndefined(); // the same timestamp again
    expect(store.delete('k', SEGMENT_INTERVAL + 25)).toMatchObject({
      value: 'vp20',
      timestamp: SEGMENT_INTERVAL + 20,
    });
  });

  // The Java test also counts the refused write in a metric; Tributary's store reports it by its return code.
  javaTest('shouldNotPutExpired', () => {
    putToStore('k', 'v', HISTORY_RETENTION + 10, LATEST);
    putToStore('k1', 'v1', HISTORY_RETENTION + 10 - GRACE_PERIOD, LATEST); // the grace period has not passed
    verifyGetValueFromStore('k1', 'v1', HISTORY_RETENTION + 10 - GRACE_PERIOD);
    putToStore('k2', 'v2', HISTORY_RETENTION + 9 - GRACE_PERIOD, NOT_PUT); // it has
    verifyGetNullFromStore('k2');
  });

  javaTest('shouldNotDeleteExpired', () => {
    putToStore('k1', 'v1', 1, LATEST);
    putToStore('k2', 'v2', 1, LATEST);
    putToStore('kother', 'vother', HISTORY_RETENTION + 10, LATEST); // another key advances stream time
    expect(store.delete('k1', HISTORY_RETENTION + 10 - GRACE_PERIOD)).toMatchObject({
      value: 'v1',
      timestamp: 1,
    });
    verifyGetNullFromStore('k1');
    // Not deleted: the delete is older than the grace period, so it returns nothing though the record exists.
    expect(store.delete('k2', HISTORY_RETENTION + 9 - GRACE_PERIOD)).toBeUndefined();
    verifyGetValueFromStore('k2', 'v2', 1);
  });

  javaTest('shouldGetFromOlderSegments', () => {
    // Stream time moves on, with another key.
    putToStore('ko', null, SEGMENT_INTERVAL - 10, LATEST);
    putToStore('ko', null, 2 * SEGMENT_INTERVAL - 10, LATEST);
    putToStore('ko', null, 3 * SEGMENT_INTERVAL - 10, LATEST);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 20);
    putToStore('k', 'v', SEGMENT_INTERVAL - 20, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 10, LATEST);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 30);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 15,
      'v',
      SEGMENT_INTERVAL - 20,
      SEGMENT_INTERVAL - 10,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 5);
    putToStore('k', 'v2', 3 * SEGMENT_INTERVAL - 20, LATEST);
    putToStore('k', null, 3 * SEGMENT_INTERVAL - 10, LATEST);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 30);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 15,
      'v',
      SEGMENT_INTERVAL - 20,
      SEGMENT_INTERVAL - 10,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 5);
  });

  javaTest('shouldNotGetExpired', () => {
    putToStore('k', 'v_old', 0, LATEST);
    putToStore('k', 'v', SEGMENT_INTERVAL - 10, LATEST);
    verifyTimestampedGetValueFromStore('k', SEGMENT_INTERVAL - 11, 'v_old', 0, SEGMENT_INTERVAL - 10);
    // Stream time moves to where SEGMENT_INTERVAL - 11 is just within the history retention...
    putToStore('ko', 'vo', HISTORY_RETENTION + SEGMENT_INTERVAL - 11, LATEST);
    verifyTimestampedGetValueFromStore('k', SEGMENT_INTERVAL - 11, 'v_old', 0, SEGMENT_INTERVAL - 10);
    // ...and one past it.
    putToStore('ko', 'vo2', HISTORY_RETENTION + SEGMENT_INTERVAL - 10, LATEST);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 11);
  });

  javaTest('shouldGetExpiredIfLatestValue', () => {
    putToStore('k', 'v', 1, LATEST);
    putToStore('ko', 'vo_old', 1, LATEST);
    putToStore('ko', 'vo_new', HISTORY_RETENTION + 12, LATEST);
    // The latest version is returned even beyond the history retention...
    verifyTimestampedGetValueFromStore('k', 10, 'v', 1, LATEST);
    // ...an older one is not.
    verifyTimestampedGetNullFromStore('ko', 10);
  });

  javaTest('shouldDistinguishEmptyAndNull', () => {
    putToStore('k', null, SEGMENT_INTERVAL + 20, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL + 20);
    putToStore('k', null, SEGMENT_INTERVAL - 1, SEGMENT_INTERVAL + 20);
    putToStore('k', null, SEGMENT_INTERVAL + 1, SEGMENT_INTERVAL + 20);
    putToStore('k', null, SEGMENT_INTERVAL + 10, SEGMENT_INTERVAL + 20);
    putToStore('k', '', SEGMENT_INTERVAL + 5, SEGMENT_INTERVAL + 10);
    putToStore('k', '', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL - 1);
    putToStore('k', '', SEGMENT_INTERVAL - 6, SEGMENT_INTERVAL - 5);
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 30);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 15);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 6,
      '',
      SEGMENT_INTERVAL + 5,
      SEGMENT_INTERVAL + 10,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 2);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 1);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      '',
      SEGMENT_INTERVAL - 5,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 6,
      '',
      SEGMENT_INTERVAL - 6,
      SEGMENT_INTERVAL - 5,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 8);
  });

  // The Java test's multi-version get(key, fromTime, toTime, order) is getVersions here; Kafka Streams'
  // ResultOrder.ANY gives the newest first, which is getVersions' default order.
  const MIN = Number.MIN_SAFE_INTEGER;
  const MAX = Number.MAX_SAFE_INTEGER;
  const verifyVersionsFromStore = (
    key: string,
    fromTime: number,
    toTime: number,
    order: 'ascending' | 'descending',
    expected: readonly (readonly [value: string, timestamp: number, validTo: number])[],
  ) =>
    expect(
      store.getVersions(key, { fromTime, toTime, order }),
      `versions of ${key} in [${fromTime}, ${toTime}]`,
    ).toEqual(
      expected.map(([value, timestamp, validTo]) =>
        validTo === LATEST ? { value, timestamp } : { value, timestamp, validTo },
      ),
    );
  const verifyNoVersionsFromStore = (key: string, fromTime: number, toTime: number) =>
    expect(
      store.getVersions(key, { fromTime, toTime }),
      `versions of ${key} in [${fromTime}, ${toTime}]`,
    ).toEqual([]);

  javaTest('shouldGetRecordVersionsFromOlderSegments', () => {
    // Another key's deletes move stream time across three segment intervals.
    putToStore('ko', null, SEGMENT_INTERVAL - 10, LATEST);
    putToStore('ko', null, 2 * SEGMENT_INTERVAL - 10, LATEST);
    putToStore('ko', null, 3 * SEGMENT_INTERVAL - 10, LATEST);
    verifyNoVersionsFromStore('k', SEGMENT_INTERVAL - 20, SEGMENT_INTERVAL); // a key never written

    putToStore('k', 'v1', SEGMENT_INTERVAL - 30, LATEST);
    putToStore('k', 'v2', SEGMENT_INTERVAL - 25, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 20, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 15, LATEST);
    putToStore('k', 'v3', SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', 'v4', SEGMENT_INTERVAL - 5, LATEST);

    const v1 = ['v1', SEGMENT_INTERVAL - 30, SEGMENT_INTERVAL - 25] as const;
    const v2 = ['v2', SEGMENT_INTERVAL - 25, SEGMENT_INTERVAL - 20] as const;
    const v3 = ['v3', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL - 5] as const;
    const v4 = ['v4', SEGMENT_INTERVAL - 5, LATEST] as const;
    // Before the first version.
    verifyNoVersionsFromStore('k', SEGMENT_INTERVAL - 40, SEGMENT_INTERVAL - 35);
    // Every version valid in the range, the deletes between them left out.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 30, SEGMENT_INTERVAL - 5, 'descending', [v4, v3, v2, v1]);
    verifyVersionsFromStore('k', MIN, MAX, 'descending', [v4, v3, v2, v1]);
    // Only the latest version.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 4, SEGMENT_INTERVAL, 'descending', [v4]);
    // fromTime = toTime.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 5, SEGMENT_INTERVAL - 5, 'descending', [v4]);
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 4, SEGMENT_INTERVAL - 4, 'descending', [v4]);
    // Before the deletes.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 31, SEGMENT_INTERVAL - 21, 'descending', [v2, v1]);
    // A range covering both deletes.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 24, SEGMENT_INTERVAL - 11, 'descending', [v2]);
    // After the deletes.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 11, SEGMENT_INTERVAL - 4, 'descending', [v4, v3]);
    // Versions written before the range that are still valid in it.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 26, SEGMENT_INTERVAL - 5, 'descending', [v4, v3, v2, v1]);
    // A version that becomes valid at the range's upper bound.
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 15, SEGMENT_INTERVAL - 10, 'descending', [v3]);
    // Only deletes are valid in the range.
    verifyNoVersionsFromStore('k', SEGMENT_INTERVAL - 19, SEGMENT_INTERVAL - 16);

    // Newer versions do not change what the older ranges answer.
    putToStore('k', 'v5', 3 * SEGMENT_INTERVAL - 30, LATEST);
    putToStore('k', null, 3 * SEGMENT_INTERVAL - 20, LATEST);
    verifyNoVersionsFromStore('k', SEGMENT_INTERVAL - 40, SEGMENT_INTERVAL - 35);
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 30, SEGMENT_INTERVAL - 26, 'descending', [v1]);
    verifyNoVersionsFromStore('k', SEGMENT_INTERVAL - 19, SEGMENT_INTERVAL - 16);
  });

  javaTest('shouldGetRecordVersionsInAscendingOrder', () => {
    putToStore('k', 'v1', SEGMENT_INTERVAL - 30, LATEST);
    putToStore('k', 'v2', SEGMENT_INTERVAL - 25, LATEST);
    putToStore('k', 'v3', SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', 'v4', SEGMENT_INTERVAL - 5, LATEST);
    verifyVersionsFromStore('k', SEGMENT_INTERVAL - 30, SEGMENT_INTERVAL - 5, 'ascending', [
      ['v1', SEGMENT_INTERVAL - 30, SEGMENT_INTERVAL - 25],
      ['v2', SEGMENT_INTERVAL - 25, SEGMENT_INTERVAL - 10],
      ['v3', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL - 5],
      ['v4', SEGMENT_INTERVAL - 5, LATEST],
    ]);
  });

  javaTest('shouldGetRecordVersionsFromMultipleOldSegmentsInAscendingOrder', () => {
    putToStore('k', 'v1', SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', 'v2', SEGMENT_INTERVAL - 5, LATEST);
    putToStore('k', 'v3', 2 * SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', 'v4', 2 * SEGMENT_INTERVAL - 5, LATEST);
    verifyVersionsFromStore('k', MIN, MAX, 'ascending', [
      ['v1', SEGMENT_INTERVAL - 10, SEGMENT_INTERVAL - 5],
      ['v2', SEGMENT_INTERVAL - 5, 2 * SEGMENT_INTERVAL - 10],
      ['v3', 2 * SEGMENT_INTERVAL - 10, 2 * SEGMENT_INTERVAL - 5],
      ['v4', 2 * SEGMENT_INTERVAL - 5, LATEST],
    ]);
  });

  javaTest('shouldNotGetExpiredRecordVersions', () => {
    putToStore('k', 'v_old', 0, LATEST);
    putToStore('k', 'v', SEGMENT_INTERVAL - 10, LATEST);
    verifyVersionsFromStore('k', 0, SEGMENT_INTERVAL - 11, 'descending', [
      ['v_old', 0, SEGMENT_INTERVAL - 10],
    ]);
    // Stream time moves to where SEGMENT_INTERVAL - 11 is just within the history retention...
    putToStore('ko', 'vo', HISTORY_RETENTION + SEGMENT_INTERVAL - 11, LATEST);
    verifyVersionsFromStore('k', 0, SEGMENT_INTERVAL - 11, 'descending', [
      ['v_old', 0, SEGMENT_INTERVAL - 10],
    ]);
    // ...and one past it.
    putToStore('ko', 'vo2', HISTORY_RETENTION + SEGMENT_INTERVAL - 10, LATEST);
    verifyNoVersionsFromStore('k', 0, SEGMENT_INTERVAL - 11);
  });

  javaTest('shouldGetExpiredIfLatestVersionValue', () => {
    putToStore('k', 'v', 1, LATEST);
    putToStore('ko', 'vo_old', 1, LATEST);
    putToStore('ko', 'vo_new', HISTORY_RETENTION + 12, LATEST);
    // The latest version answers even beyond the history retention...
    verifyVersionsFromStore('k', 0, 10, 'descending', [['v', 1, LATEST]]);
    // ...an older one does not.
    verifyNoVersionsFromStore('ko', 0, 10);
  });

  // Kafka Streams' changelog holds one record per version and a restore puts them again; Tributary's
  // holds a key's whole history per record. The restore cases therefore make the Java test's writes,
  // restore a fresh store from the changelog they produced, and check the Java test's reads there.
  async function restoreFromChangelog() {
    const changelog = drain();
    const restored = await harness.restored<VersionedKeyValueStore<string, string>>(spec(), changelog);
    store = restored.store;
  }

  javaTest('shouldRestore', async () => {
    for (const [value, timestamp, validTo] of olderSegmentPuts) putToStore('k', value, timestamp, validTo);
    await restoreFromChangelog();
    verifyOlderSegmentHistory();
  });

  javaTest('shouldRestoreWithNulls', async () => {
    for (const [value, timestamp, validTo] of olderSegmentNullPuts)
      putToStore('k', value, timestamp, validTo);
    await restoreFromChangelog();
    verifyVp5Vn5Vn6History();
  });

  javaTest('shouldRestoreWithNullsAndRepeatTimestamps', async () => {
    for (const [value, timestamp, validTo] of repeatTimestampPuts) putToStore('k', value, timestamp, validTo);
    await restoreFromChangelog();
    verifyVp5Vn5Vn6History();
  });

  javaTest('shouldRestoreMultipleBatches', async () => {
    putToStore('k', null, SEGMENT_INTERVAL - 20, LATEST);
    putToStore('k', 'vn10', SEGMENT_INTERVAL - 10, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL - 1, LATEST);
    const first = drain();
    putToStore('k', null, SEGMENT_INTERVAL + 1, LATEST);
    putToStore('k', 'vp10', SEGMENT_INTERVAL + 10, LATEST);
    putToStore('k', null, SEGMENT_INTERVAL + 20, LATEST);
    const second = drain();
    const restored = await harness.openStore<VersionedKeyValueStore<string, string>>(spec());
    restored.managed.restore(first);
    restored.managed.restore(second);
    store = restored.store;
    verifyGetNullFromStore('k');
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 30);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL + 15,
      'vp10',
      SEGMENT_INTERVAL + 10,
      SEGMENT_INTERVAL + 20,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 5);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL + 2);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL);
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 1);
    verifyTimestampedGetValueFromStore(
      'k',
      SEGMENT_INTERVAL - 5,
      'vn10',
      SEGMENT_INTERVAL - 10,
      SEGMENT_INTERVAL - 1,
    );
    verifyTimestampedGetNullFromStore('k', SEGMENT_INTERVAL - 15);
  });

  javaTest('shouldNotRestoreExpired', async () => {
    putToStore('k', 'v', HISTORY_RETENTION + 10, LATEST);
    putToStore('k1', 'v1', HISTORY_RETENTION + 10 - GRACE_PERIOD, LATEST);
    putToStore('k2', 'v2', HISTORY_RETENTION + 9 - GRACE_PERIOD, NOT_PUT); // refused, so never in the changelog
    await restoreFromChangelog();
    verifyGetValueFromStore('k', 'v', HISTORY_RETENTION + 10);
    verifyGetValueFromStore('k1', 'v1', HISTORY_RETENTION + 10 - GRACE_PERIOD);
    verifyGetNullFromStore('k2');
  });

  javaTest('shouldRestoreEvenIfRecordWouldBeExpiredByEndOfBatch', async () => {
    putToStore('k2', 'v2', HISTORY_RETENTION - GRACE_PERIOD, LATEST);
    putToStore('k', 'v', HISTORY_RETENTION + 10, LATEST);
    await restoreFromChangelog();
    verifyGetValueFromStore('k2', 'v2', HISTORY_RETENTION - GRACE_PERIOD);
    verifyGetValueFromStore('k', 'v', HISTORY_RETENTION + 10);
  });

  javaTest('shouldAllowZeroHistoryRetention', async () => {
    await open(0);
    putToStore('k', 'v', BASE_TIMESTAMP, LATEST);
    verifyGetValueFromStore('k', 'v', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'v', BASE_TIMESTAMP, LATEST);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP + 1, 'v', BASE_TIMESTAMP, LATEST); // a query "in the future"
    putToStore('k', 'updated', BASE_TIMESTAMP, LATEST); // the same timestamp is still accepted
    verifyGetValueFromStore('k', 'updated', BASE_TIMESTAMP);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP, 'updated', BASE_TIMESTAMP, LATEST);
    putToStore('k', 'v2', BASE_TIMESTAMP + 2, LATEST);
    verifyGetValueFromStore('k', 'v2', BASE_TIMESTAMP + 2);
    verifyTimestampedGetValueFromStore('k', BASE_TIMESTAMP + 2, 'v2', BASE_TIMESTAMP + 2, LATEST);
    verifyTimestampedGetNullFromStore('k', BASE_TIMESTAMP + 1); // older versions are not kept
    store.delete('k', BASE_TIMESTAMP + 3);
    verifyGetNullFromStore('k');
    putToStore('k2', 'v', BASE_TIMESTAMP + 2, NOT_PUT); // older than stream time: refused
    verifyGetNullFromStore('k2');
  });
});
