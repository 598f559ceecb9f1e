package tributary.bench;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import tributary.orders.Order;
import tributary.orders.OrderState;
import tributary.orders.OrderValidation;
import tributary.orders.OrderValidationResult;
import tributary.orders.OrderValidationType;

/** order-details: one ORDER_DETAILS_CHECK per CREATED order (topologies/order-details.ts). */
final class OrderDetails {
  private OrderDetails() {}

  static String problem(Order order) {
    if (order.getQuantity() < 1) return "quantity " + order.getQuantity() + " is less than 1";
    if (order.getPrice() < 0) return "price " + Js.number(order.getPrice()) + " is negative";
    if (order.getProduct() == null) return "the order names no product";
    return null;
  }

  static void build(StreamsBuilder builder) {
    builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER))
        .filter((id, order) -> order.getState() == OrderState.CREATED)
        .mapValues(
            order -> {
              String problem = problem(order);
              return new OrderValidation(
                  order.getId(),
                  OrderValidationType.ORDER_DETAILS_CHECK,
                  problem == null ? OrderValidationResult.PASS : OrderValidationResult.FAIL,
                  problem);
            })
        .to(Topics.ORDER_VALIDATIONS, Produced.with(Topics.STRING, Topics.ORDER_VALIDATION));
  }
}
