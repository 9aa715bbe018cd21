'use strict';
/**
 * Bulk seeding of the embedded event log, for data sets that the REST API would take hours to
 * build (each command there is one durable append). It writes exactly what the service writes,
 * with the service's own compiled modules: the tenancy and personal-token deciders decide every
 * event (so the e-mail, label and 100-active-tokens-per-owner rules hold), libs/crypto makes and
 * hashes every secret under the data dir's hash key, and SqliteEventStore appends with
 * optimistic concurrency (and chains every event's hash, as every append does). Metadata is
 * handleCommand's own (metadataFor), schema versions included. Only durability is relaxed
 * while seeding (synchronous=OFF; FULL is back, and the WAL checkpointed, before it ends).
 *
 *   node bench/seed.js --dist <build dir> --data-dir <DATA_DIR> --tenant-id <uuid> --admin-id <uuid>
 *        --tokens <n> [--per-owner 100] [--load-users <n>] [--sample <n>] --out <file.json>
 *
 * `--tokens` active personal tokens are spread over owners (`--per-owner` each); `--load-users`
 * more members get one token each, for the command-throughput load (so they can issue 99 more).
 * The output file (mode 0600, outside the repository) holds the plaintext of a random sample of
 * tokens and of the load users' tokens: the bench needs them to load the service.
 */
const { randomUUID } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parseArgs } = require('node:util');

const { values: args } = parseArgs({
  options: {
    dist: { type: 'string' },
    'data-dir': { type: 'string' },
    'tenant-id': { type: 'string' },
    'admin-id': { type: 'string' },
    tokens: { type: 'string', default: '0' },
    'per-owner': { type: 'string', default: '100' },
    'load-users': { type: 'string', default: '0' },
    sample: { type: 'string', default: '20000' },
    out: { type: 'string' },
  },
});

const lib = (name) => require(join(args.dist, 'libs', name, 'src'));
const { personalTokensDecider, tenancyDecider, streamName, MAX_ACTIVE_TOKENS_PER_OWNER } = lib('domain');
const { generateSecret, SecretHasher, secretHint } = lib('crypto');
const { SqliteEventStore, metadataFor } = lib('event-store');

const TOKENS = Number(args.tokens);
const PER_OWNER = Math.min(Number(args['per-owner']), MAX_ACTIVE_TOKENS_PER_OWNER);
const LOAD_USERS = Number(args['load-users']);
const SAMPLE = Number(args.sample);
const tenantId = args['tenant-id'];
const adminId = args['admin-id'];

/** handleCommand's metadata, for a command carried by one HTTP request. */
const metadata = (actorId, now, type) => {
  const requestId = randomUUID();
  return metadataFor({ tenantId, actorId, correlationId: requestId, causationId: requestId, now }, type);
};

const decided = (decider, command, state) => {
  const decision = decider.decide(command, state);
  if (decision.outcome !== 'accepted') throw new Error(`the decider refused ${command.type}: ${JSON.stringify(decision.rejection)}`);
  return decision.events;
};

const main = async () => {
  const started = Date.now();
  const stored = JSON.parse(readFileSync(join(args['data-dir'], 'keys', 'token-hash-key.json'), 'utf8'));
  const hasher = new SecretHasher({ id: stored.id, key: Buffer.from(stored.key, 'base64url') });
  const store = new SqliteEventStore(join(args['data-dir'], 'events.sqlite'));
  // Seeding only: the store's handle is private to the service's code, reached here on purpose.
  store.db.pragma('synchronous = OFF');

  // The tenant as the service knows it: fold its stream.
  const tenantStream = streamName('tenant', tenantId);
  const recorded = await store.readStream(tenantStream);
  let tenancy = recorded.map(({ type, data }) => ({ type, data })).reduce(tenancyDecider.evolve, tenancyDecider.initialState());
  let tenantRevision = recorded[recorded.length - 1].streamRevision;
  if (tenancy.status !== 'active') throw new Error('bootstrap the tenant first');

  const owners = Math.ceil(TOKENS / PER_OWNER);
  const userCount = owners + LOAD_USERS;
  const now = new Date().toISOString();
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();

  // Users, as an admin adding them through POST /v1/users would (appended in chunks).
  const userIds = [];
  let batch = [];
  let events = 0;
  const flushUsers = async () => {
    if (batch.length === 0) return;
    const result = await store.append(tenantStream, batch, tenantRevision);
    tenantRevision = result.nextExpectedRevision;
    events += batch.length;
    batch = [];
  };
  // Every AddUser is decided against the tenant's current state (e-mail uniqueness included).
  for (let n = 0; n < userCount; n += 1) {
    const userId = randomUUID();
    const role = 'member';
    const email = `user${n}-${userId.slice(0, 8)}@bench.test`;
    for (const event of decided(tenancyDecider, { type: 'AddUser', userId, email, role, now }, tenancy)) {
      batch.push({ type: event.type, data: event.data, metadata: metadata(adminId, now, event.type) });
      tenancy = tenancyDecider.evolve(tenancy, event);
    }
    userIds.push(userId);
    if (batch.length >= 1000) await flushUsers();
  }
  await flushUsers();

  // Tokens: each owner's stream, decided token by token, appended in one go per owner.
  const sample = [];
  let seen = 0;
  const loadUsers = [];
  const issue = async (ownerId, count, labelPrefix, keep) => {
    let state = personalTokensDecider.initialState();
    const toAppend = [];
    for (let i = 0; i < count; i += 1) {
      const secret = generateSecret('personalApiToken');
      const { hash, keyId } = hasher.hash(secret);
      const tokenId = randomUUID();
      const command = {
        type: 'IssueToken',
        tenantId,
        ownerId,
        tokenId,
        label: `${labelPrefix}-${i}`,
        scope: keep === 'load' || i % 2 === 1 ? 'read_write' : 'read',
        secretHash: hash,
        hashKeyId: keyId,
        hint: secretHint(secret),
        expiresAt: keep === 'load' ? null : expiresAt,
        idempotency: null,
        now,
      };
      for (const event of decided(personalTokensDecider, command, state)) {
        state = personalTokensDecider.evolve(state, event);
        toAppend.push({ type: event.type, data: event.data, metadata: metadata(ownerId, now, event.type) });
      }
      if (keep === 'load') {
        loadUsers.push({ userId: ownerId, tokenId, secret });
      } else {
        // Reservoir sampling: a uniform sample over every seeded token, whatever the count.
        seen += 1;
        if (sample.length < SAMPLE) sample.push({ tokenId, ownerId, secret });
        else {
          const j = Math.floor(Math.random() * seen);
          if (j < SAMPLE) sample[j] = { tokenId, ownerId, secret };
        }
      }
    }
    await store.append(streamName('personalTokens', ownerId), toAppend, 'no_stream');
    events += toAppend.length;
  };

  let remaining = TOKENS;
  let lastLog = Date.now();
  for (let o = 0; o < owners; o += 1) {
    const count = Math.min(PER_OWNER, remaining);
    remaining -= count;
    await issue(userIds[o], count, 'seeded', 'sample');
    if (Date.now() - lastLog > 5000) {
      process.stderr.write(`[seed] ${TOKENS - remaining}/${TOKENS} tokens\n`);
      lastLog = Date.now();
    }
  }
  for (let u = owners; u < userCount; u += 1) await issue(userIds[u], 1, 'initial', 'load');

  store.db.pragma('synchronous = FULL');
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const head = await store.headPosition();
  await store.close();

  writeFileSync(args.out, JSON.stringify({ sample, loadUsers }), { mode: 0o600 });
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ tokens: TOKENS, users: userCount, loadUsers: LOAD_USERS, events, head, seconds, eventsPerSecond: events / seconds })}\n`,
  );
};

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
