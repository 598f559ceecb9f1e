package tributary.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import tributary.orders.Order;
import tributary.orders.OrderState;
import tributary.orders.OrderValidation;
import tributary.orders.OrderValidationResult;
import tributary.orders.OrderValidationType;

/**
 * fraud: per customer, session windows with a one-hour gap summing quantity × price of CREATED orders;
 * exactly one FRAUD_CHECK per order, FAIL when the session total reaches 2000 (topologies/fraud.ts).
 */
final class Fraud {
  private Fraud() {}

  static final double FRAUD_LIMIT = 2000;
  static final long SESSION_GAP_MS = 60 * 60_000L;
  static final long SESSION_GRACE_MS = 24 * 60 * 60_000L;
  static final long COUNTED_ORDERS_RETENTION_MS = SESSION_GAP_MS + SESSION_GRACE_MS;
  static final String COUNTED_ORDERS = "counted-orders";

  record PlacedOrder(Order order, long placedAt) {}

  /** A customer's session: its total so far and the order that last changed it (null at first). */
  record CustomerSession(double total, Order order, Long placedAt) {}

  private static byte[] orderBytes(Order order) {
    return Topics.ORDER.serializer().serialize(null, order);
  }

  private static Order readOrder(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return Topics.ORDER.deserializer().deserialize(null, bytes);
  }

  private static void writeOrder(DataOutputStream out, Order order) throws IOException {
    byte[] bytes = orderBytes(order);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static final Serde<PlacedOrder> PLACED_ORDER =
      BinarySerde.of(
          (out, p) -> {
            out.writeLong(p.placedAt());
            writeOrder(out, p.order());
          },
          in -> {
            long placedAt = in.readLong();
            return new PlacedOrder(readOrder(in), placedAt);
          });

  static final Serde<CustomerSession> CUSTOMER_SESSION =
      BinarySerde.of(
          (out, s) -> {
            out.writeDouble(s.total());
            out.writeBoolean(s.order() != null);
            if (s.order() != null) {
              out.writeLong(s.placedAt());
              writeOrder(out, s.order());
            }
          },
          in -> {
            double total = in.readDouble();
            if (!in.readBoolean()) return new CustomerSession(total, null, null);
            long placedAt = in.readLong();
            return new CustomerSession(total, readOrder(in), placedAt);
          });

  /** What an order adds to its session: nothing when it is worth less than nothing. */
  static double orderValue(Order order) {
    return Math.max(order.getQuantity() * order.getPrice(), 0);
  }

  /** Lets the first CREATED record of each order id through, with its time. */
  static final class CountEachOrderOnce implements Processor<String, Order, String, PlacedOrder> {
    private ProcessorContext<String, PlacedOrder> context;
    private WindowStore<String, Long> counted;
    private long streamTime = Long.MIN_VALUE;

    @Override
    public void init(ProcessorContext<String, PlacedOrder> context) {
      this.context = context;
      counted = context.getStateStore(COUNTED_ORDERS);
    }

    @Override
    public void process(Record<String, Order> record) {
      long placedAt = record.timestamp();
      streamTime = Math.max(streamTime, placedAt);
      if (placedAt <= streamTime - COUNTED_ORDERS_RETENTION_MS) return;
      String id = record.value().getId();
      try (WindowStoreIterator<Long> found = counted.fetch(id, 0L, Long.MAX_VALUE)) {
        if (found.hasNext()) return;
      }
      counted.put(id, record.value().getCustomerId(), placedAt);
      context.forward(record.withValue(new PlacedOrder(record.value(), placedAt)));
    }
  }

  /** The session update an order caused becomes that order's check, at the order's own time. */
  static final class CheckEachOrder
      implements Processor<Windowed<Long>, CustomerSession, String, OrderValidation> {
    private ProcessorContext<String, OrderValidation> context;

    @Override
    public void init(ProcessorContext<String, OrderValidation> context) {
      this.context = context;
    }

    @Override
    public void process(Record<Windowed<Long>, CustomerSession> record) {
      CustomerSession session = record.value();
      if (session == null || session.order() == null) return;
      Order order = session.order();
      boolean fraudulent = session.total() >= FRAUD_LIMIT;
      OrderValidation check =
          new OrderValidation(
              order.getId(),
              OrderValidationType.FRAUD_CHECK,
              fraudulent ? OrderValidationResult.FAIL : OrderValidationResult.PASS,
              fraudulent
                  ? "customer " + order.getCustomerId() + " ordered " + Js.number(session.total())
                      + " within one session (limit " + Js.number(FRAUD_LIMIT) + ")"
                  : null);
      long time = session.placedAt() != null ? session.placedAt() : record.timestamp();
      context.forward(
          new Record<>(order.getId(), check, time, record.headers()));
    }
  }

  static void build(StreamsBuilder builder) {
    Duration retention = Duration.ofMillis(COUNTED_ORDERS_RETENTION_MS);
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(COUNTED_ORDERS, retention, retention, false),
            Topics.STRING,
            Topics.LONG));
    builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER))
        .filter((id, order) -> order.getState() == OrderState.CREATED)
        .process(CountEachOrderOnce::new, COUNTED_ORDERS)
        .groupBy(
            (id, placed) -> placed.order().getCustomerId(),
            Grouped.with("orders-by-customer", Topics.LONG, PLACED_ORDER))
        .windowedBy(
            SessionWindows.ofInactivityGapAndGrace(
                Duration.ofMillis(SESSION_GAP_MS), Duration.ofMillis(SESSION_GRACE_MS)))
        .aggregate(
            () -> new CustomerSession(0, null, null),
            (customer, placed, session) ->
                new CustomerSession(
                    Js.cents(session.total() + orderValue(placed.order())),
                    placed.order(),
                    placed.placedAt()),
            // Merging happens before the order that bridges the sessions is added.
            (customer, a, b) ->
                new CustomerSession(
                    Js.cents(a.total() + b.total()),
                    b.order() != null ? b.order() : a.order(),
                    b.order() != null ? b.placedAt() : a.placedAt()),
            // Every update is an order's check: the record cache must not fold two orders into one.
            Materialized.<Long, CustomerSession, SessionStore<Bytes, byte[]>>as("customer-sessions")
                .withKeySerde(Topics.LONG)
                .withValueSerde(CUSTOMER_SESSION)
                .withCachingDisabled())
        .toStream()
        .process(CheckEachOrder::new)
        .to(Topics.ORDER_VALIDATIONS, Produced.with(Topics.STRING, Topics.ORDER_VALIDATION));
  }
}
