import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Readiness probe and tiny topic tool for the test broker, on kafka-clients from the broker's
 * own jars (kafka-tools, which holds TopicCommand, is not published on Maven Central for 4.4.0).
 * Usage: KafkaCheck ready <bootstrap> <timeoutSeconds> [brokerPid]
 *        KafkaCheck list|create|delete <bootstrap> [topic] [partitions]
 */
public class KafkaCheck {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) usage();
        Properties props = new Properties();
        props.put("bootstrap.servers", args[1]);
        props.put("request.timeout.ms", "5000");
        props.put("default.api.timeout.ms", "10000");
        try (Admin admin = Admin.create(props)) {
            switch (args[0]) {
                case "ready" -> ready(admin, props, Long.parseLong(args[2]),
                        args.length > 3 ? ProcessHandle.of(Long.parseLong(args[3])) : Optional.empty());
                case "list" -> admin.listTopics().names().get().stream().sorted().forEach(System.out::println);
                case "create" -> admin.createTopics(List.of(new NewTopic(args[2],
                        args.length > 3 ? Integer.parseInt(args[3]) : 1, (short) 1))).all().get();
                case "delete" -> admin.deleteTopics(List.of(args[2])).all().get();
                default -> usage();
            }
        } catch (ExecutionException e) {
            System.err.println("KafkaCheck: " + e.getCause());
            System.exit(1);
        }
    }

    /** An open port is not a ready broker: the first group join fails with "coordinator is loading". */
    static void ready(Admin admin, Properties props, long seconds, Optional<ProcessHandle> broker) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String probe = "keyhold-readiness-" + ProcessHandle.current().pid();
        while (true) {
            try {
                // short timeouts so that a broker that died is noticed within a second or two
                admin.describeCluster(new DescribeClusterOptions().timeoutMs(1500)).nodes().get();
                admin.createTopics(List.of(new NewTopic(probe, 1, (short) 1)),
                        new CreateTopicsOptions().timeoutMs(3000)).all().get();
                break;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) break;
                waitOrFail(deadline, broker, e.getCause());
            }
        }
        Properties c = new Properties();
        c.putAll(props);
        c.put("group.id", probe);
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        try (var consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(probe));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(200));
                waitOrFail(deadline, broker, null);
            }
            consumer.commitSync();
        }
        admin.deleteConsumerGroups(List.of(probe)).all().get();
        admin.deleteTopics(List.of(probe)).all().get();
        System.out.println("kafka ready");
    }

    static void waitOrFail(long deadline, Optional<ProcessHandle> broker, Throwable last) throws InterruptedException {
        if (broker.isPresent() && !broker.get().isAlive()) fail("broker process exited");
        if (System.nanoTime() > deadline) fail("timed out" + (last == null ? "" : ", last error: " + last));
        if (last != null) Thread.sleep(250);
    }

    static void fail(String why) {
        System.err.println("KafkaCheck: " + why);
        System.exit(2);
    }

    static void usage() {
        System.err.println("usage: KafkaCheck ready <bootstrap> <timeoutSeconds> [brokerPid]"
                + " | list <bootstrap> | create <bootstrap> <topic> [partitions] | delete <bootstrap> <topic>");
        System.exit(64);
    }
}
