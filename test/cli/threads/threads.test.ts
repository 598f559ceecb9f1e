import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamThreadData } from '../../../src/cli/threads/messages.ts';
import { mergeMetrics } from '../../../src/cli/threads/metrics-merge.ts';
import { SiblingDirectory } from '../../../src/cli/threads/sibling-directory.ts';
import { threadConfig } from '../../../src/cli/threads/thread-config.ts';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';

describe('stream threads', () => {
  it('gives each thread its own state directory, client id and share of both caches, and a loopback query port behind the advertised endpoint', () => {
    const config = loadWorkerConfig({
      flags: {
        brokers: 'k:9092',
        'state-dir': '/data',
        threads: '3',
        'read-cache-max-bytes': '300',
        'record-cache-max-bytes': '900',
        http: '0.0.0.0:8080',
        advertised: 'host-a:8080',
      },
      env: {},
    });
    expect(config.numStreamThreads).toBe(3);
    const [first, second] = [threadConfig(config, 1), threadConfig(config, 2)];
    expect([first.stateDir, second.stateDir]).toEqual(['/data', join('/data', 'stream-thread-2')]);
    expect([first.clientId, second.clientId]).toEqual([
      'tributary-StreamThread-1',
      'tributary-StreamThread-2',
    ]);
    expect([second.readCacheMaxBytes, second.recordCacheMaxBytes]).toEqual([100, 300]);
    expect(second.http).toEqual({ host: '127.0.0.1', port: 0, advertised: 'host-a:8080' });
  });

  it('defaults to one thread, and refuses a count out of range naming the setting', () => {
    expect(loadWorkerConfig({ flags: {}, env: {} }).numStreamThreads).toBe(1);
    expect(() => loadWorkerConfig({ flags: {}, env: { NUM_STREAM_THREADS: '0' } })).toThrow(
      /NUM_STREAM_THREADS must be an integer from 1 to 64, got "0"/,
    );
  });

  it('routes a task to the other thread that runs it, never to itself', () => {
    const directory = new SiblingDirectory('StreamThread-1');
    directory.update([
      { thread: 'StreamThread-1', endpoint: '127.0.0.1:1001', active: { app: ['0_0'] } },
      { thread: 'StreamThread-2', endpoint: '127.0.0.1:1002', active: { app: ['0_1'], other: ['0_0'] } },
    ]);
    expect(directory.activeOwner('app', '0_1')).toBe('127.0.0.1:1002');
    expect(directory.activeOwner('other', '0_0')).toBe('127.0.0.1:1002');
    expect(directory.activeOwner('app', '0_0')).toBeUndefined();
    expect(directory.endpoints()).toEqual(['127.0.0.1:1002']);
  });

  it('checks the data a thread is started with, naming what is missing', () => {
    const data = { n: 2, flags: { brokers: 'k:9092', help: false }, files: ['a.ts'], cwd: '/app' };
    expect(streamThreadData(data)).toEqual({
      n: 2,
      flags: { brokers: 'k:9092' },
      files: ['a.ts'],
      cwd: '/app',
    });
    expect(() => streamThreadData(undefined)).toThrow('a stream thread was started without its data');
    expect(() => streamThreadData({ ...data, files: ['a.ts', 3] })).toThrow(
      'a stream thread was started without the topology files ("files")',
    );
    expect(() => streamThreadData({ ...data, cwd: undefined })).toThrow(
      'a stream thread was started without a directory ("cwd")',
    );
  });

  it("merges the threads' metrics: each family once, every sample labelled with its thread", () => {
    const text = (processed: number) =>
      [
        '# HELP tributary_records_processed_total Records processed',
        '# TYPE tributary_records_processed_total counter',
        `tributary_records_processed_total{application="a"} ${processed}`,
        '# HELP tributary_commit_duration_seconds Time per commit',
        '# TYPE tributary_commit_duration_seconds histogram',
        'tributary_commit_duration_seconds_bucket{application="a",le="+Inf"} 1',
        'tributary_commit_duration_seconds_count{application="a"} 1',
        '# HELP up Whether it is up',
        '# TYPE up gauge',
        'up 1',
        '',
      ].join('\n');
    expect(
      mergeMetrics([
        { thread: 'StreamThread-1', text: text(5) },
        { thread: 'StreamThread-2', text: text(7) },
      ]),
    ).toBe(
      [
        '# HELP tributary_records_processed_total Records processed',
        '# TYPE tributary_records_processed_total counter',
        'tributary_records_processed_total{thread="StreamThread-1",application="a"} 5',
        'tributary_records_processed_total{thread="StreamThread-2",application="a"} 7',
        '# HELP tributary_commit_duration_seconds Time per commit',
        '# TYPE tributary_commit_duration_seconds histogram',
        'tributary_commit_duration_seconds_bucket{thread="StreamThread-1",application="a",le="+Inf"} 1',
        'tributary_commit_duration_seconds_count{thread="StreamThread-1",application="a"} 1',
        'tributary_commit_duration_seconds_bucket{thread="StreamThread-2",application="a",le="+Inf"} 1',
        'tributary_commit_duration_seconds_count{thread="StreamThread-2",application="a"} 1',
        '# HELP up Whether it is up',
        '# TYPE up gauge',
        'up{thread="StreamThread-1"} 1',
        'up{thread="StreamThread-2"} 1',
        '',
      ].join('\n'),
    );
  });
});
