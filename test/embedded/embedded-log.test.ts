import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { offsetKey } from '../../src/embedded/coordinator-log.ts';
import { EmbeddedLog } from '../../src/embedded/embedded-log.ts';
import { embeddedEventLog } from '../../src/embedded/event-log.ts';
import { PartitionLog } from '../../src/embedded/partition-log.ts';
import { encodeFrame, entryHeader, readFrame } from '../../src/embedded/record-format.ts';
import type { OutgoingRecord, RecordBatch } from '../../src/kafka/port.ts';
import { toOffset } from '../../src/common/offset.ts';

const directories: string[] = [];
const opened: EmbeddedLog[] = [];

function newDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-embedded-'));
  directories.push(dir);
  return dir;
}

function open(dir: string, readOnly = false): EmbeddedLog {
  const log = EmbeddedLog.open(dir, { readOnly });
  opened.push(log);
  return log;
}

afterEach(() => {
  for (const log of opened.splice(0)) log.close();
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const record = (topic: string, value: string, partition = 0): OutgoingRecord => ({
  topic,
  partition,
  key: Buffer.from(`k-${value}`),
  value: Buffer.from(value),
  timestamp: 1_000,
  headers: { source: 'test' },
});

function values(log: EmbeddedLog, topic: string, readCommitted: boolean, partition = 0): string[] {
  const read = log.partition(topic, partition).read(0, readCommitted, 10_000, 64 << 20);
  return read.records.map((r) => Buffer.from(r.value!).toString());
}

function partitionFile(dir: string, topic: string, partition = 0): string {
  return join(dir, 'topics', topic, `${partition}.log`);
}

/** The file position and transaction id of every entry of a partition file. */
function entries(path: string): { position: number; end: number; txnId: number; kind: number }[] {
  const buffer = readFileSync(path);
  const result = [];
  let at = 0;
  for (let frame = readFrame(buffer, at); frame; frame = readFrame(buffer, at)) {
    result.push({ position: at, end: frame.bodyEnd, ...entryHeader(buffer, frame.bodyStart) });
    at = frame.bodyEnd;
  }
  return result;
}

describe('the embedded log on disk', () => {
  it('keeps topics, records and committed group offsets across a restart', async () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('orders', 2, { 'cleanup.policy': 'compact' });
    const port = embeddedEventLog(log);
    await port.producer({}).send([record('orders', 'a'), record('orders', 'b', 1), record('orders', 'c')]);
    log.coordinator.commitOffsets('app', [['orders', 0, 2]]);
    log.close();

    log = open(dir);
    expect(log.topicNames()).toEqual(['orders']);
    expect(log.partitionCount('orders')).toBe(2);
    expect(log.topicConfig('orders')).toEqual({ 'cleanup.policy': 'compact' });
    expect(values(log, 'orders', true)).toEqual(['a', 'c']);
    expect(values(log, 'orders', true, 1)).toEqual(['b']);
    const [first] = log.partition('orders', 0).read(0, true, 1, 1 << 20).records;
    expect(first).toMatchObject({ offset: toOffset(0), timestamp: 1_000, headers: { source: 'test' } });
    expect(Buffer.from(first!.key!).toString()).toBe('k-a');
    expect(await embeddedEventLog(log).admin().committedOffsets('app', 'orders')).toEqual(
      new Map([[0, { offset: toOffset(2), metadata: null }]]),
    );
    // New records continue the offsets.
    expect(
      await embeddedEventLog(log)
        .producer({})
        .send([record('orders', 'd')]),
    ).toEqual(new Map([['orders', new Map([[0, 2n]])]]));
  });

  it('cuts a record torn by a crash at the end of a partition, and appends after it', async () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('t', 1);
    await embeddedEventLog(log)
      .producer({})
      .send(['a', 'b', 'c'].map((v) => record('t', v)));
    log.close();
    const path = partitionFile(dir, 't');
    const intact = statSync(path).size;
    const last = entries(path).at(-1)!;
    // Half of a copy of the last frame: what a write cut short by a crash leaves.
    appendFileSync(
      path,
      readFileSync(path).subarray(last.position, last.position + (last.end - last.position) / 2),
    );

    log = open(dir);
    expect(statSync(path).size).toBe(intact);
    expect(log.partition('t', 0).end).toBe(3);
    await embeddedEventLog(log)
      .producer({})
      .send([record('t', 'd')]);
    expect(values(log, 't', false)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cuts a last record whose checksum does not match', async () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('t', 1);
    await embeddedEventLog(log)
      .producer({})
      .send(['a', 'b', 'c'].map((v) => record('t', v)));
    log.close();
    const path = partitionFile(dir, 't');
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3);
    writeFileSync(path, bytes);

    log = open(dir);
    expect(values(log, 't', false)).toEqual(['a', 'b']);
  });

  it('aborts a transaction a crash left open: its records never become visible', async () => {
    const dir = newDirectory();
    const log = open(dir);
    log.createTopic('t', 1);
    const port = embeddedEventLog(log);
    await port.producer({}).send([record('t', 'before')]);
    const producer = await port.transactionalProducer({ transactionalId: 'task-0_0' });
    await producer.begin();
    await producer.send([record('t', 'in-flight')]);
    await producer.sendOffsets('app', [{ topic: 't', partition: 0, offset: toOffset(1) }]);
    // The files as a crash right now leaves them.
    const crashed = newDirectory();
    cpSync(dir, crashed, { recursive: true });

    const recovered = open(crashed);
    expect(values(recovered, 't', true)).toEqual(['before']);
    expect(values(recovered, 't', false)).toEqual(['before', 'in-flight']);
    // The abort marker took offset 2; the log is stable again.
    expect(recovered.partition('t', 0).stableEnd).toBe(3);
    expect(await embeddedEventLog(recovered).admin().committedOffsets('app', 't')).toEqual(new Map());
  });

  it('completes a transaction whose commit decision was recorded before a crash', async () => {
    const dir = newDirectory();
    const log = open(dir);
    log.createTopic('t', 1);
    log.createTopic('u', 1);
    const port = embeddedEventLog(log);
    const producer = await port.transactionalProducer({ transactionalId: 'task-0_0' });
    await producer.begin();
    await producer.send([record('t', 'one'), record('u', 'two')]);
    const crashed = newDirectory();
    cpSync(dir, crashed, { recursive: true });
    // The decision reached the coordinator file, then the process died before writing markers.
    const txnId = entries(partitionFile(crashed, 't'))[0]!.txnId;
    const decision = { k: 'commit', txn: txnId, offsets: [{ group: 'app', offsets: [['in', 0, 9]] }] };
    appendFileSync(join(crashed, 'coordinator.log'), encodeFrame(Buffer.from(JSON.stringify(decision))));

    const recovered = open(crashed);
    expect(values(recovered, 't', true)).toEqual(['one']);
    expect(values(recovered, 'u', true)).toEqual(['two']);
    expect(recovered.coordinator.committedOffset('app', 'in', 0)).toBe(9);
  });

  it('never reuses a transaction id after a restart, so a new transaction is not mistaken for an aborted one', async () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('t', 1);
    let producer = await embeddedEventLog(log).transactionalProducer({ transactionalId: 'x' });
    await producer.begin();
    await producer.send([record('t', 'aborted')]);
    await producer.abort();
    await producer.close();
    log.close();

    log = open(dir);
    producer = await embeddedEventLog(log).transactionalProducer({ transactionalId: 'x' });
    await producer.begin();
    await producer.send([record('t', 'committed')]);
    await producer.commit();
    expect(values(log, 't', true)).toEqual(['committed']);
  });

  it('refuses a second open of a directory in use, takes over a lock left by a dead process, and opens snapshots read-only', async () => {
    const dir = newDirectory();
    const log = open(dir);
    log.createTopic('t', 1);
    expect(() => EmbeddedLog.open(dir)).toThrow(/in use by process \d+ \(this one\)/);

    const producer = await embeddedEventLog(log).transactionalProducer({ transactionalId: 'x' });
    await embeddedEventLog(log)
      .producer({})
      .send([record('t', 'visible')]);
    await producer.begin();
    await producer.send([record('t', 'open')]);
    const snapshot = open(dir, true);
    expect(values(snapshot, 't', true)).toEqual(['visible']);
    expect(() => snapshot.createTopic('u', 1)).toThrow(/read-only/);
    await producer.commit();
    log.close();

    writeFileSync(join(dir, 'LOCK'), '999999999');
    const again = open(dir);
    expect(values(again, 't', true)).toEqual(['visible', 'open']);
  });

  it('lets a read-only snapshot catch up with what the owner appends, waking its readers', async () => {
    const dir = newDirectory();
    const log = open(dir);
    log.createTopic('t', 1);
    const owner = embeddedEventLog(log);
    await owner.producer({}).send([record('t', 'first')]);
    const snapshot = open(dir, true);
    const batches: RecordBatch[] = [];
    const reader = embeddedEventLog(snapshot).partitionReader({ readCommitted: true, topics: ['t'] });
    await reader.start(
      (b) => batches.push(b),
      (e) => {
        throw e;
      },
    );
    await reader.assign({ topic: 't', partition: 0, offset: toOffset(0) });
    await vi.waitFor(() => expect(batches).toHaveLength(1));

    // A transaction: its records stay invisible to read_committed until its marker is seen too.
    const producer = await owner.transactionalProducer({ transactionalId: 'x' });
    await producer.begin();
    await producer.send([record('t', 'second'), record('t', 'third')]);
    snapshot.refresh();
    expect(snapshot.partition('t', 0).end).toBe(3);
    expect(values(snapshot, 't', true)).toEqual(['first']);
    await producer.commit();
    snapshot.refresh();
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(batches[1]!.records.map((r) => Buffer.from(r.value!).toString())).toEqual(['second', 'third']);
    expect(batches[1]!.nextOffset).toBe(4n);
    snapshot.refresh(); // nothing new: no batch, no error
    await reader.stop();
    expect(batches).toHaveLength(2);
  });

  it('deletes a topic with its committed offsets, and can create it again with another partition count', async () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('t', 2);
    await embeddedEventLog(log)
      .producer({})
      .send([record('t', 'a')]);
    log.coordinator.commitOffsets('g', [['t', 0, 1]]);
    log.deleteTopic('t');
    expect(log.topicNames()).toEqual([]);
    expect(log.coordinator.committedOffset('g', 't', 0)).toBeUndefined();
    expect(log.createTopic('t', 3)).toBe(true);
    expect(log.createTopic('t', 5)).toBe(false);
    log.close();
    log = open(dir);
    expect(log.partitionCount('t')).toBe(3);
    expect(values(log, 't', false)).toEqual([]);
  });

  it('names the file and the field when what it reads back is damaged', () => {
    const dir = newDirectory();
    let log = open(dir);
    log.createTopic('orders', 1);
    log.coordinator.commitOffsets('app', [['orders', 0, 7, 'meta']]);
    log.close();
    log = open(dir);
    expect(log.coordinator.groupOffsets('app').get(offsetKey('orders', 0))).toEqual(['orders', 0, 7, 'meta']);
    log.close();

    const coordinator = join(dir, 'coordinator.log');
    appendFileSync(coordinator, encodeFrame(Buffer.from(JSON.stringify({ k: 'offsets', offsets: [] }))));
    expect(() => EmbeddedLog.open(dir)).toThrow(
      `${coordinator}: a coordinator entry of kind "offsets" has no "group"`,
    );
    writeFileSync(
      coordinator,
      encodeFrame(Buffer.from(JSON.stringify({ k: 'offsets', group: 'app', offsets: [['orders', '0', 1]] }))),
    );
    expect(() => EmbeddedLog.open(dir)).toThrow(
      /a coordinator entry has an offset that is not \[topic, partition, offset\]: \["orders","0",1\]/,
    );
    rmSync(coordinator);

    const meta = join(dir, 'topics', 'orders', 'topic.json');
    writeFileSync(meta, JSON.stringify({ partitions: '1' }));
    expect(() => EmbeddedLog.open(dir)).toThrow(`${meta}: "partitions" must be a whole number, found "1"`);
    writeFileSync(meta, JSON.stringify({ partitions: 1, config: { 'retention.ms': 5 } }));
    expect(() => EmbeddedLog.open(dir)).toThrow(`${meta}: "config.retention.ms" must be a string`);
  });

  it('names the topic when asked for one that does not exist, and rejects bad names', async () => {
    const log = open(newDirectory());
    await expect(
      embeddedEventLog(log)
        .producer({})
        .send([record('nope', 'a')]),
    ).rejects.toThrow(/topic "nope" does not exist in the embedded log/);
    log.createTopic('t', 1);
    await expect(
      embeddedEventLog(log)
        .producer({})
        .send([record('t', 'a', 4)]),
    ).rejects.toThrow(/topic "t" has 1 partitions; there is no partition 4/);
    expect(() => log.createTopic('a/b', 1)).toThrow(/not a valid topic name/);
    expect(() => log.createTopic('ok', 0)).toThrow(/at least 1/);
  });
});

describe('fetching from the embedded log', () => {
  it('sleeps while there is nothing new instead of polling, and wakes on the next append', async () => {
    const log = open(newDirectory());
    log.createTopic('t', 2);
    const port = embeddedEventLog(log);
    const reads = vi.spyOn(PartitionLog.prototype, 'read');
    const batches: RecordBatch[] = [];
    const reader = port.partitionReader({ readCommitted: true, topics: ['t'] });
    await reader.start(
      (b) => batches.push(b),
      (e) => {
        throw e;
      },
    );
    await reader.assign({ topic: 't', partition: 0, offset: toOffset(0) });
    await reader.assign({ topic: 't', partition: 1, offset: toOffset(0) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads).not.toHaveBeenCalled();
    const started = performance.now();
    await port.producer({}).send([record('t', 'a', 1)]);
    await vi.waitFor(() => expect(batches).toHaveLength(1), { interval: 1 });
    expect(performance.now() - started).toBeLessThan(50);
    expect(reads).toHaveBeenCalledTimes(1);
    await reader.stop();
    reads.mockRestore();
  });

  it('reads a large partition in bounded batches, fast enough', async () => {
    const log = open(newDirectory());
    log.createTopic('t', 1);
    const port = embeddedEventLog(log);
    const producer = port.producer({});
    const value = 'x'.repeat(100);
    const total = 50_000;
    const started = performance.now();
    for (let i = 0; i < total; i += 500)
      await producer.send(
        Array.from({ length: 500 }, (_, j) => ({ ...record('t', value), key: Buffer.from(`k${i + j}`) })),
      );
    const written = performance.now();
    let read = 0;
    let biggest = 0;
    const reader = port.partitionReader({ readCommitted: true, topics: ['t'] });
    await reader.start(
      (b) => {
        read += b.records.length;
        biggest = Math.max(biggest, b.records.length);
      },
      (e) => {
        throw e;
      },
    );
    await reader.assign({ topic: 't', partition: 0, offset: toOffset(0) });
    await vi.waitFor(() => expect(read).toBe(total), { timeout: 10_000, interval: 5 });
    const done = performance.now();
    await reader.stop();
    expect(biggest).toBeLessThanOrEqual(500);
    const rate = (ms: number) => Math.round((total * 1000) / ms);
    console.info(
      `embedded log: ${rate(written - started)} records/s written, ${rate(done - written)} records/s read`,
    );
    // Generous floors: a regression to per-record syscalls or polling would fall far below.
    expect(rate(written - started)).toBeGreaterThan(10_000);
    expect(rate(done - written)).toBeGreaterThan(10_000);
  });
});
