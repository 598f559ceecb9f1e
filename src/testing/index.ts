/**
 * Testing without a broker: `TopologyTestDriver` and its topics, and replay of recorded inputs
 * (`import { TopologyTestDriver } from 'tributary/testing'`).
 *
 * @module tributary/testing
 */
export { TopologyTestDriver, type TopologyTestDriverOptions } from './topology-test-driver.ts';
export {
  TestInputTopic,
  TestOutputTopic,
  type TestInputTopicOptions,
  type TestOutputRecord,
  type TestRecord,
} from './test-topics.ts';
export { replay, ReplayError, type ReplayOptions, type ReplayResult } from './replay.ts';
export {
  ReplayInputError,
  compareWithGolden,
  parseRecording,
  toJsonl,
  type GoldenComparison,
  type RecordedRecord,
  type ReplayRecord,
} from './replay-format.ts';
