// Readiness probe used by scripts/kafka/start.sh: a real Admin client round trip against the broker.
// Compiled once per Kafka version into .tools/kafka/<version>/readycheck and run with the broker's
// own jars on the classpath (kafka-clients is among them), so it needs nothing extra.
//
// Usage: java -cp '<libs>/*:<readycheck dir>' ReadyCheck <bootstrap> [timeoutMs] [client.properties]
// (the properties file holds the client's security settings for a secured listener)
// Exit 0 when the cluster answers DescribeCluster with a broker and an active controller and
// ListTopics succeeds; exit 1 otherwise (the reason goes to stderr).

import java.io.FileInputStream;
import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;

public class ReadyCheck {
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ReadyCheck <bootstrap> [timeoutMs] [client.properties]");
            System.exit(2);
        }
        int timeoutMs = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        Properties props = new Properties();
        if (args.length > 2) {
            try (FileInputStream in = new FileInputStream(args[2])) {
                props.load(in);
            } catch (IOException e) {
                System.err.println("cannot read " + args[2] + ": " + e);
                System.exit(2);
            }
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "tributary-readycheck");
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult cluster = admin.describeCluster();
            int nodes = cluster.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            Node controller = cluster.controller().get(timeoutMs, TimeUnit.MILLISECONDS);
            String clusterId = cluster.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS);
            admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            if (nodes < 1 || controller == null || controller.isEmpty()) {
                System.err.println("not ready: nodes=" + nodes + " controller=" + controller);
                System.exit(1);
            }
            System.err.println("ready: clusterId=" + clusterId + " brokers=" + nodes);
            System.exit(0);
        } catch (Exception e) {
            System.err.println("not ready: " + e);
            System.exit(1);
        }
    }
}
