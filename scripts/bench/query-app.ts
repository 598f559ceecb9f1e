// The application the query benchmark runs in its worker processes: a topic materialized as a table in
// LevelDB (store "latest"). Topic and application id come from the environment.
import { Serdes, defineApp, defineTopic } from 'tributary';

export const values = defineTopic(
  process.env.BENCH_QUERY_TOPIC ?? 'bench-query',
  Serdes.String(),
  Serdes.Json<{ readonly n: number; readonly text: string }>(),
);

export default defineApp({
  applicationId: process.env.BENCH_QUERY_APP ?? 'bench-query',
  topics: [values],
  topology: (builder) => {
    builder.stream(values).toTable({ storeName: 'latest' });
  },
});
