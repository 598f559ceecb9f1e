package tributary.bench;

import java.time.Duration;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import tributary.orders.Order;
import tributary.orders.OrderState;
import tributary.orders.Payment;

/**
 * payments: VALIDATED orders joined with payments re-keyed by order id within 5 minutes either way;
 * the first payment that meets the order CONFIRMS or FAILS it (topologies/payments.ts).
 */
final class Payments {
  private Payments() {}

  static final long FIVE_MINUTES_MS = 5 * 60_000L;
  static final long GRACE_MS = 60 * 60_000L;
  static final long SETTLED_ORDERS_RETENTION_MS = 2 * FIVE_MINUTES_MS + (2 * FIVE_MINUTES_MS + GRACE_MS);
  static final String SETTLED_ORDERS = "settled-orders";

  record PaidOrder(Order order, Payment payment) {}

  static Order settle(PaidOrder paid) {
    Order order = paid.order();
    Payment payment = paid.payment();
    double due = Js.cents(order.getQuantity() * order.getPrice());
    if (payment.getAmount() >= due) return Topics.withState(order, OrderState.CONFIRMED, null);
    return Topics.withState(
        order,
        OrderState.FAILED,
        "payment " + payment.getId() + " of " + Js.number(payment.getAmount()) + " " + payment.getCcy()
            + " is less than the order value " + Js.number(due));
  }

  /** Settles each order with the first payment that meets it and remembers that payment's id. */
  static final class SettleOnce implements Processor<String, PaidOrder, String, Order> {
    private ProcessorContext<String, Order> context;
    private WindowStore<String, String> settled;

    @Override
    public void init(ProcessorContext<String, Order> context) {
      this.context = context;
      settled = context.getStateStore(SETTLED_ORDERS);
    }

    @Override
    public void process(Record<String, PaidOrder> record) {
      String orderId = record.value().order().getId();
      try (WindowStoreIterator<String> found = settled.fetch(orderId, 0L, Long.MAX_VALUE)) {
        if (found.hasNext()) return;
      }
      settled.put(orderId, record.value().payment().getId(), record.timestamp());
      context.forward(record.withKey(orderId).withValue(settle(record.value())));
    }
  }

  static void build(StreamsBuilder builder) {
    Duration retention = Duration.ofMillis(SETTLED_ORDERS_RETENTION_MS);
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(SETTLED_ORDERS, retention, retention, false),
            Topics.STRING,
            Topics.STRING));
    KStream<String, Payment> paymentsByOrder =
        builder.stream(Topics.PAYMENTS, Consumed.with(Topics.STRING, Topics.PAYMENT))
            .selectKey((paymentId, payment) -> payment.getOrderId())
            .repartition(
                Repartitioned.<String, Payment>as("payments-by-order")
                    .withKeySerde(Topics.STRING)
                    .withValueSerde(Topics.PAYMENT));
    builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER))
        .filter((id, order) -> order.getState() == OrderState.VALIDATED)
        .join(
            paymentsByOrder,
            PaidOrder::new,
            JoinWindows.ofTimeDifferenceAndGrace(
                Duration.ofMillis(FIVE_MINUTES_MS), Duration.ofMillis(GRACE_MS)),
            StreamJoined.<String, Order, Payment>as("orders-with-payments")
                .withKeySerde(Topics.STRING)
                .withValueSerde(Topics.ORDER)
                .withOtherValueSerde(Topics.PAYMENT))
        .process(SettleOnce::new, SETTLED_ORDERS)
        .to(Topics.ORDERS, Produced.with(Topics.STRING, Topics.ORDER));
  }
}
