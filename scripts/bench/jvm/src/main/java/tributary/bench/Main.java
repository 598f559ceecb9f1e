package tributary.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * Runs the word count or the seven applications of the orders system on Kafka Streams, each
 * application a KafkaStreams instance with Kafka Streams' defaults (one stream thread, the
 * guarantee's default commit interval) in this one JVM, as Tributary's worker runs them in one
 * process. Events the benchmark reads go to stdout as JSON lines; Kafka Streams' own log to stderr.
 *
 *   Main orders --brokers host:port --guarantee at-least-once|exactly-once --state-dir dir
 *   Main word-count ... --application-id id --words-topic words --counts-topic counts
 *
 * SIGTERM closes every instance (a graceful stop: commit, leave the group) and exits.
 */
public final class Main {
  private Main() {}

  /** The applications by application id. */
  static final Map<String, Consumer<StreamsBuilder>> ORDERS_SYSTEM = new LinkedHashMap<>();

  static {
    ORDERS_SYSTEM.put("order-details", OrderDetails::build);
    ORDERS_SYSTEM.put("inventory", Inventory::build);
    ORDERS_SYSTEM.put("fraud", Fraud::build);
    ORDERS_SYSTEM.put("validations-aggregator", ValidationsAggregator::build);
    ORDERS_SYSTEM.put("payments", Payments::build);
    ORDERS_SYSTEM.put("emails", Emails::build);
    ORDERS_SYSTEM.put("orders-view", OrdersView::build);
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length == 0) usage("name what to run: orders or word-count");
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) usage("expected --option value at " + args[i]);
      options.put(args[i].substring(2), args[i + 1]);
    }
    Map<String, Consumer<StreamsBuilder>> apps = new LinkedHashMap<>();
    switch (args[0]) {
      case "orders" -> apps.putAll(ORDERS_SYSTEM);
      case "word-count" ->
          apps.put(
              required(options, "application-id"),
              builder ->
                  WordCount.build(builder, required(options, "words-topic"), required(options, "counts-topic")));
      default -> usage("unknown application set " + args[0]);
    }
    String guarantee =
        switch (required(options, "guarantee")) {
          case "at-least-once" -> StreamsConfig.AT_LEAST_ONCE;
          case "exactly-once" -> StreamsConfig.EXACTLY_ONCE_V2;
          default -> usage("--guarantee is at-least-once or exactly-once");
        };

    List<KafkaStreams> running = new ArrayList<>();
    for (Map.Entry<String, Consumer<StreamsBuilder>> app : apps.entrySet()) {
      String applicationId = app.getKey();
      Properties config = new Properties();
      config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
      config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(options, "brokers"));
      config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
      config.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(required(options, "state-dir"), applicationId).toString());
      KafkaStreams streams = new KafkaStreams(topology(app.getValue(), config), config);
      streams.setStateListener(
          (now, before) -> event("state", applicationId, "\"state\":\"" + now + "\""));
      streams.setGlobalStateRestoreListener(restoreListener(applicationId));
      streams.setUncaughtExceptionHandler(
          error -> {
            event("error", applicationId, "\"message\":" + quote(String.valueOf(error)));
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                .SHUTDOWN_CLIENT;
          });
      running.add(streams);
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  running.parallelStream().forEach(KafkaStreams::close);
                  event("stopped", null, null);
                  stopped.countDown();
                }));
    for (KafkaStreams streams : running) streams.start();
    stopped.await();
  }

  /** An application's topology, with the settings both the benchmark and the replay run it with. */
  static org.apache.kafka.streams.Topology topology(Consumer<StreamsBuilder> app, Properties config) {
    // Tables read from a topic restore from that topic, as Tributary's do (no changelog of their own).
    config.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);
    StreamsBuilder builder = new StreamsBuilder();
    app.accept(builder);
    return builder.build(config);
  }

  private static StateRestoreListener restoreListener(String applicationId) {
    return new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
        event(
            "restore-start",
            applicationId,
            "\"store\":" + quote(store) + ",\"partition\":" + quote(partition.toString())
                + ",\"records\":" + (end - start));
      }

      @Override
      public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long count) {}

      @Override
      public void onRestoreEnd(TopicPartition partition, String store, long total) {
        event(
            "restore-end",
            applicationId,
            "\"store\":" + quote(store) + ",\"partition\":" + quote(partition.toString())
                + ",\"records\":" + total);
      }
    };
  }

  /** One JSON line on stdout: {"event":..,"app":..,"time":<ms since the epoch>,...}. */
  private static synchronized void event(String event, String app, String fields) {
    StringBuilder line = new StringBuilder("{\"event\":").append(quote(event));
    if (app != null) line.append(",\"app\":").append(quote(app));
    line.append(",\"time\":").append(System.currentTimeMillis());
    if (fields != null) line.append(',').append(fields);
    System.out.println(line.append('}'));
    System.out.flush();
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') quoted.append('\\').append(c);
      else if (c < 0x20) quoted.append(String.format("\\u%04x", (int) c));
      else quoted.append(c);
    }
    return quoted.append('"').toString();
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) usage("--" + name + " is required");
    return value;
  }

  private static <T> T usage(String problem) {
    System.err.println("kafka-streams-reference: " + problem);
    System.err.println("usage: Main orders|word-count --brokers host:port --guarantee at-least-once|exactly-once --state-dir dir [--application-id id --words-topic t --counts-topic t]");
    System.exit(2);
    return null;
  }
}
