// The topology `npm run bench:kafka` runs through a worker: words in, a repartition by word, a count
// per word in a LevelDB store with a changelog, every count out (no record cache, as the Kafka Streams
// word count of `npm run bench:jvm` has none: both write the same records). Topic names and the
// application id come from the environment, so every run uses fresh ones.
import { Serdes, defineApp, defineTopic } from 'tributary';

const words = defineTopic(process.env.WORDS_TOPIC ?? 'bench-words', Serdes.String(), Serdes.String());
const counts = defineTopic(process.env.COUNTS_TOPIC ?? 'bench-counts', Serdes.String(), Serdes.Long());

export default defineApp({
  applicationId: process.env.APPLICATION_ID ?? 'bench-word-count',
  topics: [words, counts],
  topology: (builder) => {
    builder
      .stream(words)
      .groupBy((_key, word) => word, { keySerde: Serdes.String() })
      .count({ storeName: 'word-counts', caching: false })
      .toStream()
      .to(counts);
  },
});
