// Kafka's own Admin client as an oracle of which transactional producers wrote to a cluster.
// Compiled and run by scripts/kafka/java-client.sh against the broker's jars.
//
//   TransactionLister <bootstrap>
//     Prints "transaction <transactional id> <state>" for every transactional id the transaction
//     coordinators know (Admin.listTransactions), then "end <count>".
import java.util.Collection;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
            for (TransactionListing listing : listings)
                System.out.println("transaction " + listing.transactionalId() + " " + listing.state());
            System.out.println("end " + listings.size());
        }
    }
}
