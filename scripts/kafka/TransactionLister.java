// Kafka's own Admin client as an oracle of which transactional producers wrote to a cluster.
// Compiled and run by scripts/kafka/java-client.sh against the broker's jars.
//
//   TransactionLister <bootstrap>
//     Prints "transaction <transactional id> <state> <transaction timeout ms>" for every transactional
//     id the transaction coordinators know (Admin.listTransactions, Admin.describeTransactions), then
//     "end <count>".
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;

public class TransactionLister {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: TransactionLister <bootstrap>");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "tributary-transaction-lister");
        try (Admin admin = Admin.create(props)) {
            Collection<TransactionListing> listings = admin.listTransactions().all().get();
            List<String> ids = listings.stream().map(TransactionListing::transactionalId).toList();
            Map<String, TransactionDescription> described =
                ids.isEmpty() ? Map.of() : admin.describeTransactions(ids).all().get();
            for (TransactionListing listing : listings) {
                TransactionDescription description = described.get(listing.transactionalId());
                System.out.println("transaction " + listing.transactionalId() + " " + listing.state() + " "
                    + (description == null ? -1 : description.transactionTimeoutMs()));
            }
            System.out.println("end " + listings.size());
        }
    }
}
