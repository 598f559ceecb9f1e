// Kafka's own Java read_committed consumer as an oracle of what a system committed: reads whole topics.
// Compiled and run by scripts/kafka/java-client.sh against the broker's jars.
//
//   CommittedReader <bootstrap> <topic>...
//     For each topic, every partition from its start to its end for read_committed (the last stable
//     offset): prints "record <topic> <partition> <offset> <key> <value>" per record, key and value in
//     base64 ("-" for null), then "end <topic> <records>". A topic that does not exist prints
//     "missing <topic>".
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CommittedReader {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: CommittedReader <bootstrap> <topic>...");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "tributary-committed-reader");
        Base64.Encoder base64 = Base64.getEncoder();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            Map<String, List<PartitionInfo>> existing = consumer.listTopics(Duration.ofSeconds(30));
            for (int i = 1; i < args.length; i++) {
                String topic = args[i];
                if (!existing.containsKey(topic)) {
                    System.out.println("missing " + topic);
                    continue;
                }
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo p : existing.get(topic)) partitions.add(new TopicPartition(topic, p.partition()));
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                // For a read_committed consumer the end offsets are the last stable offsets.
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                long count = 0;
                while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        System.out.println("record " + topic + " " + r.partition() + " " + r.offset() + " "
                                + (r.key() == null ? "-" : base64.encodeToString(r.key())) + " "
                                + (r.value() == null ? "-" : base64.encodeToString(r.value())));
                        count++;
                    }
                }
                System.out.println("end " + topic + " " + count);
            }
        }
    }
}
