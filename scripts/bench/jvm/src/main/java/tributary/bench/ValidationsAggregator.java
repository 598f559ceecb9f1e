package tributary.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
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
 * validations-aggregator: the distinct check types that passed and the first failure, per order in
 * 5-minute sessions; a deciding session joined with the CREATED order is written back once as
 * VALIDATED or FAILED (topologies/validations-aggregator.ts).
 */
final class ValidationsAggregator {
  private ValidationsAggregator() {}

  static final long FIVE_MINUTES_MS = 5 * 60_000L;
  static final long GRACE_MS = 60 * 60_000L;
  static final long DECIDED_ORDERS_RETENTION_MS = 2 * FIVE_MINUTES_MS + (2 * FIVE_MINUTES_MS + GRACE_MS);
  static final String DECIDED_ORDERS = "decided-orders";

  /** Check types that passed, each once, and why the order fails (null while no check failed). */
  record ValidationSession(List<OrderValidationType> passed, String failure) {}

  record Verdict(OrderState state, String failureReason) {}

  static final Serde<ValidationSession> SESSION =
      BinarySerde.of(
          (out, s) -> {
            out.writeByte(s.passed().size());
            for (OrderValidationType type : s.passed()) out.writeByte(type.ordinal());
            BinarySerde.writeNullable(out, s.failure());
          },
          in -> {
            int count = in.readByte();
            List<OrderValidationType> passed = new ArrayList<>(count);
            for (int i = 0; i < count; i++) passed.add(OrderValidationType.values()[in.readByte()]);
            return new ValidationSession(passed, BinarySerde.readNullable(in));
          });

  static final Serde<Verdict> VERDICT =
      BinarySerde.of(
          (out, v) -> {
            out.writeByte(v.state().ordinal());
            BinarySerde.writeNullable(out, v.failureReason());
          },
          in -> new Verdict(OrderState.values()[in.readByte()], BinarySerde.readNullable(in)));

  static final Serde<String> STATE_NAME = Topics.STRING;

  static ValidationSession add(ValidationSession session, OrderValidation validation) {
    OrderValidationType type = validation.getCheckType();
    if (validation.getValidationResult() == OrderValidationResult.PASS) {
      if (session.passed().contains(type)) return session;
      List<OrderValidationType> passed = new ArrayList<>(session.passed());
      passed.add(type);
      return new ValidationSession(passed, session.failure());
    }
    String outcome =
        validation.getValidationResult() == OrderValidationResult.FAIL ? "failed" : "reported an error";
    String reason = validation.getReason();
    String why = type + " " + outcome + (reason != null && !reason.isEmpty() ? ": " + reason : "");
    return new ValidationSession(session.passed(), session.failure() != null ? session.failure() : why);
  }

  static ValidationSession merge(ValidationSession a, ValidationSession b) {
    List<OrderValidationType> passed = new ArrayList<>(a.passed());
    for (OrderValidationType type : b.passed()) if (!passed.contains(type)) passed.add(type);
    return new ValidationSession(passed, a.failure() != null ? a.failure() : b.failure());
  }

  /** A failure decides at once; passes need all three check types. Null: undecided. */
  static Verdict verdictOf(ValidationSession session) {
    if (session.failure() != null) return new Verdict(OrderState.FAILED, session.failure());
    if (session.passed().size() == OrderValidationType.values().length)
      return new Verdict(OrderState.VALIDATED, null);
    return null;
  }

  /** Writes the first verdict that meets its order and remembers it. */
  static final class DecideOnce implements Processor<String, Order, String, Order> {
    private ProcessorContext<String, Order> context;
    private WindowStore<String, String> decided;

    @Override
    public void init(ProcessorContext<String, Order> context) {
      this.context = context;
      decided = context.getStateStore(DECIDED_ORDERS);
    }

    @Override
    public void process(Record<String, Order> record) {
      try (WindowStoreIterator<String> found = decided.fetch(record.key(), 0L, Long.MAX_VALUE)) {
        if (found.hasNext()) return;
      }
      decided.put(record.key(), record.value().getState().name(), record.timestamp());
      context.forward(record);
    }
  }

  static void build(StreamsBuilder builder) {
    Duration retention = Duration.ofMillis(DECIDED_ORDERS_RETENTION_MS);
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(DECIDED_ORDERS, retention, retention, false),
            Topics.STRING,
            STATE_NAME));
    KStream<String, Order> createdOrders =
        builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER))
            .filter((id, order) -> order.getState() == OrderState.CREATED);
    builder.stream(Topics.ORDER_VALIDATIONS, Consumed.with(Topics.STRING, Topics.ORDER_VALIDATION))
        .groupByKey(Grouped.with(Topics.STRING, Topics.ORDER_VALIDATION))
        .windowedBy(
            SessionWindows.ofInactivityGapAndGrace(
                Duration.ofMillis(FIVE_MINUTES_MS), Duration.ofMillis(GRACE_MS)))
        .aggregate(
            () -> new ValidationSession(List.of(), null),
            (orderId, validation, session) -> add(session, validation),
            (orderId, a, b) -> merge(a, b),
            // "As soon as any check fails": a verdict is written when its session decides it, not at
            // the next flush of the record cache (30 s apart under at-least-once).
            Materialized.<String, ValidationSession, SessionStore<Bytes, byte[]>>as("validation-sessions")
                .withKeySerde(Topics.STRING)
                .withValueSerde(SESSION)
                .withCachingDisabled())
        .toStream()
        .filter((session, value) -> value != null && verdictOf(value) != null)
        .map((session, value) -> KeyValue.pair(session.key(), verdictOf(value)))
        .repartition(
            Repartitioned.<String, Verdict>as("verdicts-by-order")
                .withKeySerde(Topics.STRING)
                .withValueSerde(VERDICT))
        .join(
            createdOrders,
            (verdict, order) -> Topics.withState(order, verdict.state(), verdict.failureReason()),
            JoinWindows.ofTimeDifferenceAndGrace(
                Duration.ofMillis(FIVE_MINUTES_MS), Duration.ofMillis(GRACE_MS)),
            StreamJoined.<String, Verdict, Order>as("verdicts-with-orders")
                .withKeySerde(Topics.STRING)
                .withValueSerde(VERDICT)
                .withOtherValueSerde(Topics.ORDER))
        .process(DecideOnce::new, DECIDED_ORDERS)
        .to(Topics.ORDERS, Produced.with(Topics.STRING, Topics.ORDER));
  }
}
