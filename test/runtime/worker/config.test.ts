import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'tributary';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';

describe('worker configuration', () => {
  it('has defaults a newcomer can guess, with Kafka Streams commit intervals per guarantee', () => {
    const config = loadWorkerConfig({ env: {}, isTerminal: false });
    expect(config.brokers).toBeUndefined();
    expect(config.stateDir).toBe('./data/state');
    expect(config.processingGuarantee).toBe('at-least-once');
    expect(config.commitIntervalMs).toBe(30_000);
    expect(config.logFormat).toBe('json');
    expect(loadWorkerConfig({ env: { PROCESSING_GUARANTEE: 'exactly-once' } }).commitIntervalMs).toBe(100);
    expect(config.readCacheMaxBytes).toBe(64 * 1024 * 1024);
    expect(config.recordCacheMaxBytes).toBe(10 * 1024 * 1024);
  });

  it('takes the memory of the stores’ read caches in bytes, 0 for none', () => {
    expect(loadWorkerConfig({ env: { READ_CACHE_MAX_BYTES: '0' } }).readCacheMaxBytes).toBe(0);
    expect(loadWorkerConfig({ flags: { 'read-cache-max-bytes': '1048576' } }).readCacheMaxBytes).toBe(
      1_048_576,
    );
    expect(() => loadWorkerConfig({ env: { READ_CACHE_MAX_BYTES: '64MB' } })).toThrow(
      /READ_CACHE_MAX_BYTES must be an integer from 0 .* got "64MB"/,
    );
  });

  it('takes the bytes a fetch asks for per partition, at least 1, 256 KiB by default', () => {
    expect(loadWorkerConfig({ env: {} }).maxPartitionFetchBytes).toBe(256 * 1024);
    expect(loadWorkerConfig({ env: { MAX_PARTITION_FETCH_BYTES: '1048576' } }).maxPartitionFetchBytes).toBe(
      1_048_576,
    );
    expect(
      loadWorkerConfig({ env: {}, flags: { 'max-partition-fetch-bytes': '65536' } }).maxPartitionFetchBytes,
    ).toBe(65_536);
    expect(() => loadWorkerConfig({ env: { MAX_PARTITION_FETCH_BYTES: '0' } })).toThrow(
      /MAX_PARTITION_FETCH_BYTES must be an integer from 1 .* got "0"/,
    );
    expect(() => loadWorkerConfig({ flags: { 'max-partition-fetch-bytes': '1MiB' } })).toThrow(
      /--max-partition-fetch-bytes must be an integer from 1 .* got "1MiB"/,
    );
  });

  it('takes the record cache size in bytes, 0 for off, and names the renamed read cache setting', () => {
    expect(loadWorkerConfig({ env: { RECORD_CACHE_MAX_BYTES: '0' } }).recordCacheMaxBytes).toBe(0);
    expect(loadWorkerConfig({ flags: { 'record-cache-max-bytes': '1048576' } }).recordCacheMaxBytes).toBe(
      1_048_576,
    );
    expect(() => loadWorkerConfig({ env: { STATE_CACHE_MAX_BYTES: '0' } })).toThrow(
      /STATE_CACHE_MAX_BYTES is now READ_CACHE_MAX_BYTES/,
    );
  });

  it('takes flags over environment over the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-config-'));
    const file = join(dir, 'worker.json');
    await writeFile(
      file,
      JSON.stringify({ brokers: ['file:1'], stateDir: '/from/file', commitIntervalMs: 5, logLevel: 'debug' }),
    );
    const config = loadWorkerConfig({
      flags: { config: file, 'state-dir': '/from/flag' },
      env: { KAFKA_BROKERS: 'env-a:9092, env-b:9093', COMMIT_INTERVAL_MS: '250' },
    });
    expect(config.stateDir).toBe('/from/flag');
    expect(config.brokers).toEqual(['env-a:9092', 'env-b:9093']);
    expect(config.commitIntervalMs).toBe(250);
    expect(config.logLevel).toBe('debug');
  });

  it("puts a command's own defaults below the config file, and every default commit interval follows them", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-config-'));
    const file = join(dir, 'worker.json');
    await writeFile(file, JSON.stringify({ processingGuarantee: 'at-least-once' }));
    const defaults = { guarantee: 'exactly-once' };
    const started = loadWorkerConfig({ env: {}, defaults });
    expect([started.processingGuarantee, started.commitIntervalMs]).toEqual(['exactly-once', 100]);
    expect(loadWorkerConfig({ env: {}, file, defaults }).processingGuarantee).toBe('at-least-once');
    expect(
      loadWorkerConfig({ env: { PROCESSING_GUARANTEE: 'at-least-once' }, defaults }).processingGuarantee,
    ).toBe('at-least-once');
  });

  it('accepts the usual spellings of the processing guarantee', () => {
    for (const spelling of ['exactly_once_v2', 'EXACTLY-ONCE', 'eos']) {
      expect(loadWorkerConfig({ env: { PROCESSING_GUARANTEE: spelling } }).processingGuarantee).toBe(
        'exactly-once',
      );
    }
  });

  it('takes the production error handler from flag, environment or config file, fail by default', async () => {
    expect(loadWorkerConfig({ env: {} }).errorHandling.production).toBe('fail');
    expect(
      loadWorkerConfig({ flags: { 'on-production-error': 'log-and-continue' }, env: {} }).errorHandling
        .production,
    ).toBe('log-and-continue');
    expect(loadWorkerConfig({ env: { ON_PRODUCTION_ERROR: 'dead-letter' } }).errorHandling.production).toBe(
      'dead-letter',
    );
    const dir = await mkdtemp(join(tmpdir(), 'tributary-config-'));
    const file = join(dir, 'worker.json');
    await writeFile(file, JSON.stringify({ onProductionError: 'dead-letter' }));
    expect(loadWorkerConfig({ flags: { config: file }, env: {} }).errorHandling.production).toBe(
      'dead-letter',
    );
    expect(() => loadWorkerConfig({ env: { ON_PRODUCTION_ERROR: 'retry' } })).toThrow(
      /ON_PRODUCTION_ERROR must be one of fail, log-and-continue, dead-letter/,
    );
  });

  it('names the setting and where it came from when a value is bad', async () => {
    const bad = (sources: Parameters<typeof loadWorkerConfig>[0]) => () => loadWorkerConfig(sources);
    expect(bad({ flags: { 'commit-interval-ms': 'soon' }, env: {} })).toThrow(
      /--commit-interval-ms must be an integer from 1 .* got "soon"/,
    );
    expect(bad({ env: { KAFKA_BROKERS: 'localhost' } })).toThrow(
      /KAFKA_BROKERS: "localhost" is not a host:port address/,
    );
    expect(bad({ env: { PROCESSING_GUARANTEE: 'maybe-once' } })).toThrow(
      /PROCESSING_GUARANTEE must be at-least-once or exactly-once/,
    );
    expect(bad({ env: { ON_DESERIALIZATION_ERROR: 'ignore' } })).toThrow(
      /ON_DESERIALIZATION_ERROR must be one of fail, log-and-continue, dead-letter/,
    );
    expect(bad({ env: { NUM_STANDBY_REPLICAS: '-1' } })).toThrow(ConfigError);

    const dir = await mkdtemp(join(tmpdir(), 'tributary-config-'));
    const typo = join(dir, 'typo.json');
    await writeFile(typo, JSON.stringify({ comitIntervalMs: 5 }));
    expect(bad({ file: typo, env: {} })).toThrow(/unknown setting "comitIntervalMs" in .*typo\.json/);
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{ brokers: ');
    expect(bad({ file: notJson, env: {} })).toThrow(/broken\.json is not valid JSON/);
    expect(bad({ file: join(dir, 'missing.json'), env: {} })).toThrow(
      /cannot read the config file .*missing\.json/,
    );
  });

  it('derives the advertised query endpoint from --http unless given', () => {
    expect(loadWorkerConfig({ flags: { http: '0.0.0.0:7070' }, env: {} }).http).toEqual({
      host: '0.0.0.0',
      port: 7070,
      advertised: '127.0.0.1:7070',
    });
    expect(loadWorkerConfig({ flags: { http: '7071', advertised: 'worker-2:7071' }, env: {} }).http).toEqual({
      host: '0.0.0.0',
      port: 7071,
      advertised: 'worker-2:7071',
    });
  });
});
