// Lint rules, including the import boundaries of docs/architecture.md: the LevelDB package only under
// src/state/leveldb/, the Kafka client only under src/kafka/, the DSL never reaching into the runtime,
// and the reference topologies using nothing but the package's public entry points.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Packages are matched by exact name: a pattern would also match our own folders (src/kafka/kafkajs/).
const leveldb = ['level', 'classic-level', 'abstract-level'].map((name) => ({
  name,
  message: 'LevelDB is used only under src/state/leveldb/.',
}));
const kafkaClient = ['kafkajs', '@platformatic/kafka'].map((name) => ({
  name,
  message: 'Kafka clients are used only under src/kafka/.',
}));

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': restrict([...leveldb, ...kafkaClient]),
    },
  },
  { files: ['src/state/leveldb/**'], rules: { 'no-restricted-imports': restrict(kafkaClient) } },
  { files: ['src/kafka/**'], rules: { 'no-restricted-imports': restrict(leveldb) } },
  {
    files: ['src/dsl/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...leveldb, ...kafkaClient],
        [
          {
            group: ['**/runtime/**', '**/kafka/**'],
            message: 'The DSL only records topology nodes; it never imports the runtime or the Kafka client.',
          },
        ],
      ),
    },
  },
  {
    files: ['topologies/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...leveldb, ...kafkaClient],
        [
          {
            // A regex: gitignore-style groups cannot re-allow `../schemas/` once `../**` matched.
            regex: '(^|/)src/|^\\.\\./(?!schemas/|\\.\\./schemas/)',
            message:
              'Topologies are written as users write them: import only from "tributary" (and "tributary/testing"), siblings and ../schemas (../../schemas from topologies/http/).',
          },
        ],
      ),
    },
  },
  // Tests of the Kafka boundary use kafkajs as the oracle (its DefaultPartitioner is what a producer
  // outside Tributary would use), so they may import it; nothing else under test/ may.
  { files: ['test/kafka/**'], rules: { 'no-restricted-imports': restrict(leveldb) } },
  // The kafkajs adapter's changes to kafkajs itself, counted on a real broker through kafkajs' own
  // instrumentation.
  {
    files: ['test/integration/kafkajs-coordinators.test.ts'],
    rules: { 'no-restricted-imports': restrict(leveldb) },
  },
  // The security tests grant ACLs on their broker through kafkajs' admin, as an operator's tool would
  // (the product never manages ACLs).
  { files: ['test/support/kafka-acls.ts'], rules: { 'no-restricted-imports': restrict(leveldb) } },
  // Benchmarks measure raw LevelDB and kafkajs as baselines beside the product.
  { files: ['scripts/bench/**'], rules: { 'no-restricted-imports': 'off' } },
);
