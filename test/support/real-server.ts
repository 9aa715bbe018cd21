/**
 * Suites that need a real server read its address from the environment. Without it they are
 * skipped with a loud line saying why, except where the run requires the server (CI sets
 * KEYHOLD_REQUIRE_SERVERS for Kafka and Mongo), in which case a missing address fails the run.
 */
export type RealServer = 'MONGO_URL' | 'KAFKA_BROKERS' | 'EVENTSTORE_URL';

const required = () => (process.env.KEYHOLD_REQUIRE_SERVERS ?? '').split(',').map((name) => name.trim());

export const describeWithServer = (server: RealServer, title: string, body: (address: string) => void): void => {
  const address = process.env[server];
  if (address) {
    describe(title, () => body(address));
    return;
  }
  if (required().includes(server)) {
    describe(title, () => {
      it(`needs ${server}`, () => {
        throw new Error(`${server} is required in this run (KEYHOLD_REQUIRE_SERVERS) but is not set.`);
      });
    });
    return;
  }
  // stderr, not console.warn: jest hides console output of a file whose tests are all skipped.
  const how = server === 'EVENTSTORE_URL' ? 'point it at an EventStoreDB server' : 'scripts/test-servers.sh start, then eval its env';
  process.stderr.write(`SKIPPED: "${title}" needs a real server: set ${server} (${how}).\n`);
  describe.skip(title, () => body(''));
};
