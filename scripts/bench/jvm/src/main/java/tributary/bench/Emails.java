package tributary.bench;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import tributary.orders.Customer;
import tributary.orders.Email;
import tributary.orders.Order;
import tributary.orders.OrderState;

/** emails: CONFIRMED orders joined with the customers GlobalKTable (topologies/emails.ts). */
final class Emails {
  private Emails() {}

  static Email confirmationEmail(Order order, Customer customer) {
    double total = order.getQuantity() * order.getPrice();
    String product = order.getProduct() == null ? "items" : order.getProduct().name();
    return new Email(
        order.getId(),
        customer.getId(),
        customer.getEmail(),
        customer.getLevel(),
        "Your order " + order.getId() + " is confirmed",
        "Dear " + customer.getFirstName() + " " + customer.getLastName() + ", your order of "
            + order.getQuantity() + " " + product + " for " + Js.fixed2(total)
            + " is paid. We will send it to " + customer.getAddress() + ".");
  }

  static void build(StreamsBuilder builder) {
    GlobalKTable<Long, Customer> customers =
        builder.globalTable(
            Topics.CUSTOMERS,
            Consumed.with(Topics.LONG, Topics.CUSTOMER),
            Materialized.as("customers"));
    builder.stream(Topics.ORDERS, Consumed.with(Topics.STRING, Topics.ORDER))
        .filter((id, order) -> order.getState() == OrderState.CONFIRMED)
        .join(customers, (id, order) -> order.getCustomerId(), Emails::confirmationEmail)
        .to(Topics.EMAILS, Produced.with(Topics.STRING, Topics.EMAIL));
  }
}
