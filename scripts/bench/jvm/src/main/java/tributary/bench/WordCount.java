package tributary.bench;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The word count of scripts/bench/word-count-app.ts: words in, a repartition by word, a count per word
 * in the store "word-counts" (changelog <application id>-word-counts-changelog), every count out.
 */
final class WordCount {
  private WordCount() {}

  static void build(StreamsBuilder builder, String wordsTopic, String countsTopic) {
    builder.stream(wordsTopic, Consumed.with(Topics.STRING, Topics.STRING))
        .groupBy((key, word) -> word, Grouped.with(Topics.STRING, Topics.STRING))
        // Every update goes out, as Tributary's count forwards it: the same records on the counts topic.
        .count(
            Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("word-counts")
                .withKeySerde(Topics.STRING)
                .withValueSerde(Topics.LONG)
                .withCachingDisabled())
        .toStream()
        .to(countsTopic, Produced.with(Topics.STRING, Topics.LONG));
  }
}
