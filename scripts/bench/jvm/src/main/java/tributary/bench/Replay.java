package tributary.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A recording replayed through the seven applications, each in Kafka Streams' TopologyTestDriver, the
 * way `tributary replay` does it: every input record, and every record an application writes to a
 * topic of the system, is delivered in write order to each application reading that topic (in
 * application-id order, as `topologies/*.ts` expands), until nothing is left, before the next input
 * record. One partition per topic. Deterministic, so the outcome can be compared with Tributary's
 * replay of the same recording, order by order.
 *
 * Input and output lines (stdin, stdout): topic TAB timestamp TAB key TAB value, key and value in
 * base64 (empty for null): the bytes on the topic, so both sides read and write the same ones.
 */
public final class Replay {
  private Replay() {}

  private static final Set<String> SYSTEM_TOPICS =
      Set.of(
          Topics.ORDERS,
          Topics.ORDER_VALIDATIONS,
          Topics.WAREHOUSE_INVENTORY,
          Topics.PAYMENTS,
          Topics.CUSTOMERS,
          Topics.EMAILS);

  private record Line(String topic, long timestamp, byte[] key, byte[] value) {}

  private static final class App {
    final TopologyTestDriver driver;
    final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
    final List<TestOutputTopic<byte[], byte[]>> outputs = new ArrayList<>();
    final List<String> outputTopics = new ArrayList<>();

    App(String applicationId, Path stateDir) {
      Properties config = new Properties();
      config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
      config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay:9092");
      config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(applicationId).toString());
      Topology topology = Main.topology(Main.ORDERS_SYSTEM.get(applicationId), config);
      driver = new TopologyTestDriver(topology, config);
      TopologyDescription description = topology.describe();
      List<TopologyDescription.Node> nodes = new ArrayList<>();
      for (TopologyDescription.Subtopology sub : description.subtopologies()) nodes.addAll(sub.nodes());
      for (TopologyDescription.GlobalStore global : description.globalStores()) nodes.add(global.source());
      for (TopologyDescription.Node node : nodes) {
        if (node instanceof TopologyDescription.Source source)
          for (String topic : source.topicSet())
            if (SYSTEM_TOPICS.contains(topic))
              inputs.put(
                  topic,
                  driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer()));
        if (node instanceof TopologyDescription.Sink sink
            && SYSTEM_TOPICS.contains(sink.topic())
            && !outputTopics.contains(sink.topic())) {
          outputTopics.add(sink.topic());
          outputs.add(
              driver.createOutputTopic(
                  sink.topic(), new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        }
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Path stateDir = Files.createTempDirectory("kafka-streams-replay-");
    // Application-id order, as a shell expands topologies/*.ts.
    Map<String, App> apps = new TreeMap<>();
    for (String id : Main.ORDERS_SYSTEM.keySet()) apps.put(id, new App(id, stateDir));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Deque<Line> pending = new ArrayDeque<>();
    for (String text = in.readLine(); text != null; text = in.readLine()) {
      if (text.isBlank()) continue;
      pending.add(parse(text));
      for (Line line = pending.poll(); line != null; line = pending.poll()) {
        for (App app : apps.values()) {
          TestInputTopic<byte[], byte[]> input = app.inputs.get(line.topic());
          if (input == null) continue;
          input.pipeInput(new TestRecord<>(line.key(), line.value(), null, line.timestamp()));
          // Each application writes one topic of the system, so its records keep their write order.
          for (int i = 0; i < app.outputs.size(); i++)
            for (TestRecord<byte[], byte[]> written : app.outputs.get(i).readRecordsToList()) {
              Line output =
                  new Line(app.outputTopics.get(i), written.timestamp(), written.key(), written.value());
              out.println(format(output));
              pending.add(output);
            }
        }
      }
    }
    out.flush();
    for (App app : apps.values()) app.driver.close();
  }

  private static Line parse(String text) {
    String[] fields = text.split("\t", -1);
    return new Line(fields[0], Long.parseLong(fields[1]), decode(fields[2]), decode(fields[3]));
  }

  private static byte[] decode(String base64) {
    return base64.isEmpty() ? null : Base64.getDecoder().decode(base64);
  }

  private static String format(Line line) {
    Base64.Encoder base64 = Base64.getEncoder();
    return line.topic() + "\t" + line.timestamp() + "\t"
        + (line.key() == null ? "" : base64.encodeToString(line.key())) + "\t"
        + (line.value() == null ? "" : base64.encodeToString(line.value()));
  }
}
