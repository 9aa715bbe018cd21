import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;

/**
 * mongo-java-server ships no main class: this binds its in-memory backend for tests.
 * Usage: java -cp ... MongoServerMain [host] [port]
 */
public class MongoServerMain {
    public static void main(String[] args) {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 27027;

        // 1.47.0 reports max wire version 8 by default and the mongodb 7.x node driver refuses
        // anything below 9 (6.x accepts both). The version is only reported, never acted on.
        MongoVersion wire9 = new MongoVersion() {
            @Override public List<Integer> getVersionArray() { return List.of(4, 4, 0); }
            @Override public int getWireVersion() { return 9; }
        };
        MongoServer server = new MongoServer(new MemoryBackend().version(wire9));
        server.enableOplog(); // change streams only work with it
        // No shutdown hook: the memory backend has nothing to flush, and netty's graceful
        // shutdown would add a 2 s quiet period to every `stop`.
        server.bind(host, port);
        // scripts/test-servers.sh waits for this exact line
        System.out.println("keyhold-mongo ready on " + host + ":" + port + " (max wire version 9)");
    }
}
