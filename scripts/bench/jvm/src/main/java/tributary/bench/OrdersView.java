package tributary.bench;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;

/**
 * orders-view: the orders topic as the table "orders-store" (topologies/orders-view.ts). With
 * topology.optimization=reuse.ktable.source.topics it is restored from orders itself, as Tributary's.
 */
final class OrdersView {
  private OrdersView() {}

  static void build(StreamsBuilder builder) {
    builder.table(
        Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER), Materialized.as("orders-store"));
  }
}
