package tributary.bench;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import tributary.orders.Customer;
import tributary.orders.Email;
import tributary.orders.Order;
import tributary.orders.OrderValidation;
import tributary.orders.Payment;

/** The orders system's topics and their serdes, as schemas/topics.ts defines them. */
final class Topics {
  private Topics() {}

  static final String ORDERS = "orders";
  static final String ORDER_VALIDATIONS = "order-validations";
  static final String WAREHOUSE_INVENTORY = "warehouse-inventory";
  static final String PAYMENTS = "payments";
  static final String CUSTOMERS = "customers";
  static final String EMAILS = "emails";

  static final Serde<String> STRING = Serdes.String();
  /** Serdes.Int() in Tributary: 4 bytes, big-endian, as Kafka's IntegerSerializer. */
  static final Serde<Integer> INT = Serdes.Integer();
  /** Serdes.Long() in Tributary: 8 bytes, big-endian, as Kafka's LongSerializer. */
  static final Serde<Long> LONG = Serdes.Long();
  static final Serde<Order> ORDER = AvroSerde.of(Order.getClassSchema());
  static final Serde<OrderValidation> ORDER_VALIDATION = AvroSerde.of(OrderValidation.getClassSchema());
  static final Serde<Payment> PAYMENT = AvroSerde.of(Payment.getClassSchema());
  static final Serde<Customer> CUSTOMER = AvroSerde.of(Customer.getClassSchema());
  static final Serde<Email> EMAIL = AvroSerde.of(Email.getClassSchema());

  static Order withState(Order order, tributary.orders.OrderState state, String failureReason) {
    return new Order(
        order.getId(),
        order.getCustomerId(),
        state,
        order.getProduct(),
        order.getQuantity(),
        order.getPrice(),
        failureReason);
  }
}
