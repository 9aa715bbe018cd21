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
        // No oplog (server.enableOplog()): nothing here uses change streams, and the stand-in's
        // oplog is an uncapped collection in its heap holding a copy of every write ever made,
        // dropped databases' included (a real MongoDB caps it, on disk). 100k documents written
        // and replaced once left 528 MB live after their database was dropped (8 MB without it),
        // and the bench's stand-in, holding the 100k replay's writes so, paused 1.1-1.9 s in
        // each young collection of the command workload.
        // No shutdown hook: the memory backend has nothing to flush, and netty's graceful
        // shutdown would add a 2 s quiet period to every `stop`.
        server.bind(host, port);
        // scripts/test-servers.sh waits for this exact line
        System.out.println("keyhold-mongo ready on " + host + ":" + port + " (max wire version 9)");
    }
}
