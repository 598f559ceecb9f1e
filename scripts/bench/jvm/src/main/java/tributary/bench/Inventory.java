package tributary.bench;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import tributary.orders.Order;
import tributary.orders.OrderState;
import tributary.orders.OrderValidation;
import tributary.orders.OrderValidationResult;
import tributary.orders.OrderValidationType;

/**
 * inventory: CREATED orders re-keyed by product and checked against stock minus reserved units; the
 * units of an order that later FAILS are released, once (topologies/inventory.ts).
 */
final class Inventory {
  private Inventory() {}

  static final String RESERVED_STOCK = "reserved-stock";
  static final String ORDER_RESERVATIONS = "order-reservations";
  private static final long MINUTE = 60_000;
  /** As RESERVATIONS_RETENTION_MS: 10 minutes + 1 hour 10 minutes + 1 hour of grace. */
  static final long RESERVATIONS_RETENTION_MS = 10 * MINUTE + 70 * MINUTE + 60 * MINUTE;

  /** What was decided for one order: status is reserved, rejected or released. */
  record Reservation(String product, int quantity, String status) {}

  record OrderWithStock(Order order, Integer unitsInStock) {}

  static final Serde<Reservation> RESERVATION =
      BinarySerde.of(
          (out, r) -> {
            out.writeUTF(r.product());
            out.writeInt(r.quantity());
            out.writeUTF(r.status());
          },
          in -> new Reservation(in.readUTF(), in.readInt(), in.readUTF()));

  static OrderValidation inventoryCheck(String orderId, String problem) {
    return new OrderValidation(
        orderId,
        OrderValidationType.INVENTORY_CHECK,
        problem == null ? OrderValidationResult.PASS : OrderValidationResult.FAIL,
        problem);
  }

  static final class ReserveStock implements Processor<String, OrderWithStock, String, OrderValidation> {
    private ProcessorContext<String, OrderValidation> context;
    private KeyValueStore<String, Integer> reservedStock;
    private WindowStore<String, Reservation> reservations;
    /** The latest order time seen here, as the window store measures it. */
    private long streamTime = Long.MIN_VALUE;

    @Override
    public void init(ProcessorContext<String, OrderValidation> context) {
      this.context = context;
      reservedStock = context.getStateStore(RESERVED_STOCK);
      reservations = context.getStateStore(ORDER_RESERVATIONS);
    }

    private KeyValue<Long, Reservation> reservationOf(String orderId) {
      try (WindowStoreIterator<Reservation> found = reservations.fetch(orderId, 0L, Long.MAX_VALUE)) {
        return found.hasNext() ? found.next() : null;
      }
    }

    @Override
    public void process(Record<String, OrderWithStock> record) {
      streamTime = Math.max(streamTime, record.timestamp());
      Order order = record.value().order();
      if (order.getState() == OrderState.CREATED) reserve(record);
      else if (order.getState() == OrderState.FAILED) release(record.key(), order, record.timestamp());
    }

    private void reserve(Record<String, OrderWithStock> record) {
      String product = record.key();
      Order order = record.value().order();
      Integer unitsInStock = record.value().unitsInStock();
      if (record.timestamp() <= streamTime - RESERVATIONS_RETENTION_MS) return;
      if (reservationOf(order.getId()) != null) return;
      Integer stored = reservedStock.get(product);
      int reserved = stored == null ? 0 : stored;
      String problem = null;
      if (unitsInStock == null) problem = "no stock of " + product + " in the warehouse";
      else if (unitsInStock - reserved < order.getQuantity())
        problem = order.getQuantity() + " " + product + " ordered, " + (unitsInStock - reserved) + " available";
      int units = problem == null ? Math.max(order.getQuantity(), 0) : 0;
      if (units > 0) reservedStock.put(product, reserved + units);
      String status = problem == null ? "reserved" : "rejected";
      reservations.put(order.getId(), new Reservation(product, units, status), record.timestamp());
      context.forward(record.withKey(order.getId()).withValue(inventoryCheck(order.getId(), problem)));
    }

    private void release(String product, Order order, long failedAt) {
      KeyValue<Long, Reservation> entry = reservationOf(order.getId());
      Reservation held = entry == null ? null : entry.value;
      if (held != null && !held.status().equals("reserved")) return;
      if (held != null && held.quantity() > 0) {
        Integer stored = reservedStock.get(product);
        int reserved = stored == null ? 0 : stored;
        reservedStock.put(product, Math.max(reserved - held.quantity(), 0));
      }
      reservations.put(
          order.getId(), new Reservation(product, 0, "released"), entry == null ? failedAt : entry.key);
    }
  }

  static void build(StreamsBuilder builder) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(RESERVED_STOCK), Topics.STRING, Topics.INT));
    Duration retention = Duration.ofMillis(RESERVATIONS_RETENTION_MS);
    builder.addStateStore(
        Stores.windowStoreBuilder(
            Stores.persistentWindowStore(ORDER_RESERVATIONS, retention, retention, false),
            Topics.STRING,
            RESERVATION));
    KTable<String, Integer> stock =
        builder.table(
            Topics.WAREHOUSE_INVENTORY,
            Consumed.with(Topics.STRING, Topics.INT),
            Materialized.as("warehouse-stock"));
    KStream<String, Order> orders =
        builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER));
    Produced<String, OrderValidation> toValidations =
        Produced.with(Topics.STRING, Topics.ORDER_VALIDATION);

    orders
        .filter((id, order) -> order.getState() == OrderState.CREATED && order.getProduct() == null)
        .mapValues(order -> inventoryCheck(order.getId(), "the order names no product"))
        .to(Topics.ORDER_VALIDATIONS, toValidations);

    orders
        .filter(
            (id, order) ->
                order.getProduct() != null
                    && (order.getState() == OrderState.CREATED || order.getState() == OrderState.FAILED))
        .selectKey((id, order) -> order.getProduct().name())
        .repartition(
            Repartitioned.<String, Order>as("orders-by-product")
                .withKeySerde(Topics.STRING)
                .withValueSerde(Topics.ORDER))
        .leftJoin(
            stock,
            OrderWithStock::new,
            Joined.with(Topics.STRING, Topics.ORDER, Topics.INT))
        .process(ReserveStock::new, RESERVED_STOCK, ORDER_RESERVATIONS)
        .to(Topics.ORDER_VALIDATIONS, toValidations);
  }
}
