// Public testing API: `import { TopologyTestDriver } from 'tributary/testing'`.
export { TopologyTestDriver, type TopologyTestDriverOptions } from './topology-test-driver.ts';
export {
  TestInputTopic,
  TestOutputTopic,
  type TestInputTopicOptions,
  type TestOutputRecord,
  type TestRecord,
} from './test-topics.ts';
