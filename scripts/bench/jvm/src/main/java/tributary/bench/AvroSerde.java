package tributary.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Plain Avro binary, no framing: the bytes Tributary's Avro serdes (avsc) write on the orders
 * system's topics when no schema registry is configured. The classes are generated from
 * schemas/*.avsc, so both sides encode with the same schemas.
 */
final class AvroSerde {
  private AvroSerde() {}

  static <T extends SpecificRecord> Serde<T> of(Schema schema) {
    SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(schema);
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(schema);
    // A stream thread serializes one record at a time; each thread gets its own buffers.
    ThreadLocal<ByteArrayOutputStream> buffers = ThreadLocal.withInitial(() -> new ByteArrayOutputStream(256));
    ThreadLocal<BinaryEncoder[]> encoders = ThreadLocal.withInitial(() -> new BinaryEncoder[1]);
    ThreadLocal<BinaryDecoder[]> decoders = ThreadLocal.withInitial(() -> new BinaryDecoder[1]);
    Serializer<T> serializer =
        (topic, value) -> {
          if (value == null) return null;
          ByteArrayOutputStream out = buffers.get();
          out.reset();
          BinaryEncoder[] encoder = encoders.get();
          encoder[0] = EncoderFactory.get().directBinaryEncoder(out, encoder[0]);
          try {
            writer.write(value, encoder[0]);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return out.toByteArray();
        };
    Deserializer<T> deserializer =
        (topic, bytes) -> {
          if (bytes == null) return null;
          BinaryDecoder[] decoder = decoders.get();
          decoder[0] = DecoderFactory.get().binaryDecoder(bytes, decoder[0]);
          try {
            return reader.read(null, decoder[0]);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        };
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
