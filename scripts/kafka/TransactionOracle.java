// Kafka's own Java clients as a test oracle for transactions on one partition. Compiled and run by
// scripts/kafka/java-client.sh against the broker's jars (kafka-clients is among them).
//
//   TransactionOracle write <bootstrap> <topic> <partition> <transactional id prefix>
//     Reads commands from stdin, one per line, and runs each before reading the next, so the offsets
//     they produce interleave exactly as written. A commit or abort is done once its marker is on the
//     partition (the coordinator writes markers after it answers), so a marker's offset is fixed too.
//     After each command it prints "done <command>", after each record "sent <key> <offset>".
//     Commands (<producer> is a name chosen by the script):
//       transactional <producer>          a transactional producer (transactional id <prefix>-<producer>)
//       idempotent <producer>             a plain (idempotent) producer
//       begin <producer>                  begin a transaction
//       send <producer> <key> <bytes>     one record, acknowledged before the next command
//       batch <producer> <key> <count> <bytes>
//                                         <count> records (keys <key>-0...) sent together, then flushed
//       commit <producer> | abort <producer>
//     The value of a record is its key, padded with '.' to <bytes> bytes.
//
//   TransactionOracle read <bootstrap> <topic> <partition> <from offset>
//     A read_committed consumer from <from offset> up to the partition's end for read_committed (the
//     last stable offset): prints "record <offset> <key> <value length>" per record, then "end <offset>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class TransactionOracle {
    public static void main(String[] args) throws Exception {
        if (args.length != 5 || !(args[0].equals("write") || args[0].equals("read"))) {
            System.err.println("usage: TransactionOracle write|read <bootstrap> <topic> <partition> <prefix|from>");
            System.exit(2);
        }
        TopicPartition tp = new TopicPartition(args[2], Integer.parseInt(args[3]));
        if (args[0].equals("write")) write(args[1], tp, args[4]);
        else read(args[1], tp, Long.parseLong(args[4]));
    }

    private static void write(String bootstrap, TopicPartition tp, String prefix) throws Exception {
        Map<String, KafkaProducer<byte[], byte[]>> producers = new HashMap<>();
        Set<String> transactional = new HashSet<>();
        // Producers whose open transaction has written to the partition: they have a marker to come.
        Set<String> writing = new HashSet<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(adminProps)) {
            for (String line; (line = in.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty()) continue;
                String[] c = line.split("\\s+");
                switch (c[0]) {
                    case "transactional", "idempotent" -> {
                        Properties props = producerProps(bootstrap);
                        if (c[0].equals("transactional")) {
                            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-" + c[1]);
                            transactional.add(c[1]);
                        }
                        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
                        if (c[0].equals("transactional")) producer.initTransactions();
                        producers.put(c[1], producer);
                    }
                    case "begin" -> producer(producers, c[1]).beginTransaction();
                    case "send" -> {
                        KafkaProducer<byte[], byte[]> producer = producer(producers, c[1]);
                        report(c[2], producer.send(record(tp, c[2], Integer.parseInt(c[3]))).get());
                        if (transactional.contains(c[1])) writing.add(c[1]);
                    }
                    case "batch" -> {
                        KafkaProducer<byte[], byte[]> producer = producer(producers, c[1]);
                        List<Future<RecordMetadata>> sent = new ArrayList<>();
                        int count = Integer.parseInt(c[3]);
                        for (int i = 0; i < count; i++)
                            sent.add(producer.send(record(tp, c[2] + "-" + i, Integer.parseInt(c[4]))));
                        producer.flush();
                        for (int i = 0; i < count; i++) report(c[2] + "-" + i, sent.get(i).get());
                        if (transactional.contains(c[1])) writing.add(c[1]);
                    }
                    case "commit", "abort" -> {
                        KafkaProducer<byte[], byte[]> producer = producer(producers, c[1]);
                        if (c[0].equals("commit")) producer.commitTransaction();
                        else producer.abortTransaction();
                        writing.remove(c[1]);
                        awaitOpenTransactions(admin, tp, writing.size());
                    }
                    default -> throw new IllegalArgumentException("unknown command: " + line);
                }
                System.out.println("done " + line);
                System.out.flush();
            }
        } finally {
            for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.close(Duration.ofSeconds(10));
        }
    }

    /** Waits until the partition has exactly this many open transactions: every ended one has its marker. */
    private static void awaitOpenTransactions(Admin admin, TopicPartition tp, int expected) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        for (;;) {
            List<ProducerState> states = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
            long open = states.stream().filter(s -> s.currentTransactionStartOffset().isPresent()).count();
            if (open == expected) return;
            if (System.currentTimeMillis() > deadline)
                throw new IllegalStateException(open + " open transactions on " + tp + ", expected " + expected);
            Thread.sleep(20);
        }
    }

    private static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "1048576");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "tributary-transaction-oracle");
        return props;
    }

    private static KafkaProducer<byte[], byte[]> producer(Map<String, KafkaProducer<byte[], byte[]>> producers, String name) {
        KafkaProducer<byte[], byte[]> producer = producers.get(name);
        if (producer == null) throw new IllegalArgumentException("no producer named " + name);
        return producer;
    }

    private static ProducerRecord<byte[], byte[]> record(TopicPartition tp, String key, int bytes) {
        byte[] value = new byte[Math.max(bytes, key.length())];
        java.util.Arrays.fill(value, (byte) '.');
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(k, 0, value, 0, k.length);
        return new ProducerRecord<>(tp.topic(), tp.partition(), k, value);
    }

    private static void report(String key, RecordMetadata metadata) {
        System.out.println("sent " + key + " " + metadata.offset());
    }

    private static void read(String bootstrap, TopicPartition tp, long from) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "tributary-transaction-oracle");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            // For a read_committed consumer the end offset is the last stable offset.
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    String key = r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8);
                    int length = r.value() == null ? -1 : r.value().length;
                    System.out.println("record " + r.offset() + " " + key + " " + length);
                }
            }
            System.out.println("end " + consumer.position(tp));
        }
    }
}
