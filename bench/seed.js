'use strict';
/**
 * Bulk seeding of the embedded event log, for data sets that the REST API would take hours to
 * build (each command there is one durable append). It writes exactly what the service writes,
 * with the service's own compiled modules: the tenancy and personal-token deciders decide every
 * event (so the e-mail, label and 100-active-tokens-per-owner rules hold), libs/crypto makes and
 * hashes every secret under the data dir's hash key, and SqliteEventStore appends with
 * optimistic concurrency (and chains every event's hash, as every append does). Metadata is
 * handleCommand's own (metadataFor), schema versions included. Durability is the service's own
 * (the log's writer thread, synchronous=FULL): a chunk of owners is appended at once, so that
 * its appends share group commits.
 * A worker thread decides the tokens (secrets, keyed hashes, events) of the next owners while
 * the main thread appends the previous ones: the two halves of the work, about equal, overlap.
 * The relay's and key shredder's checkpoints are set at the head (`markPublished`).
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
const { closeSync, openSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const libs = (dist) => (name) => require(join(dist, 'libs', name, 'src'));

/** handleCommand's metadata, for a command carried by one HTTP request. */
const metadataWith = (metadataFor, tenantId) => (actorId, now, type) => {
  const requestId = randomUUID();
  return metadataFor({ tenantId, actorId, correlationId: requestId, causationId: requestId, now }, type);
};

const decided = (decider, command, state) => {
  const decision = decider.decide(command, state);
  if (decision.outcome !== 'accepted') throw new Error(`the decider refused ${command.type}: ${JSON.stringify(decision.rejection)}`);
  return decision.events;
};

/**
 * The worker's half: one owner's tokens, decided token by token as POST /v1/tokens would, with
 * their secrets hashed under the data dir's key. Answers the events to append and the plaintexts.
 */
const tokenIssuer = ({ dist, tenantId, hashKey, now, expiresAt }) => {
  const lib = libs(dist);
  const { personalTokensDecider } = lib('domain');
  const { generateSecret, SecretHasher, secretHint } = lib('crypto');
  const metadata = metadataWith(lib('event-store').metadataFor, tenantId);
  const hasher = new SecretHasher({ id: hashKey.id, key: Buffer.from(hashKey.key, 'base64url') });
  return ({ ownerId, count, labelPrefix, load }) => {
    let state = personalTokensDecider.initialState();
    const events = [];
    const tokens = [];
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
        scope: load || i % 2 === 1 ? 'read_write' : 'read',
        secretHash: hash,
        hashKeyId: keyId,
        hint: secretHint(secret),
        expiresAt: load ? null : expiresAt,
        idempotency: null,
        now,
      };
      for (const event of decided(personalTokensDecider, command, state)) {
        state = personalTokensDecider.evolve(state, event);
        events.push({ type: event.type, data: event.data, metadata: metadata(ownerId, now, event.type) });
      }
      tokens.push({ tokenId, ownerId, secret });
    }
    return { ownerId, events, tokens };
  };
};

if (!isMainThread) {
  const issue = tokenIssuer(workerData);
  parentPort.on('message', (owners) => parentPort.postMessage(owners.map(issue)));
  return;
}

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

const lib = libs(args.dist);
const { tenancyDecider, streamName, MAX_ACTIVE_TOKENS_PER_OWNER } = lib('domain');
const { SqliteEventStore, metadataFor } = lib('event-store');
const { SqliteReadModelStore } = lib('read-models');

const TOKENS = Number(args.tokens);
const PER_OWNER = Math.min(Number(args['per-owner']), MAX_ACTIVE_TOKENS_PER_OWNER);
const LOAD_USERS = Number(args['load-users']);
const SAMPLE = Number(args.sample);
const OWNERS_PER_CHUNK = 50;
const tenantId = args['tenant-id'];
const adminId = args['admin-id'];
const metadata = metadataWith(metadataFor, tenantId);

/** The worker thread, asked for one chunk of owners at a time (the next is asked for before the current one is appended). */
const startIssuer = (data) => {
  const worker = new Worker(__filename, { workerData: data });
  const issue = (owners) =>
    new Promise((resolve, reject) => {
      const onError = (error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (issued) => {
        worker.off('error', onError);
        resolve(issued);
      });
      worker.postMessage(owners);
    });
  return { issue, stop: () => worker.terminate() };
};

/**
 * The seeded log stands for a deployment whose relay has published it and whose key shredder has
 * read it: their checkpoints (the file `infrastructure.module` gives them, mode 0600 as
 * `privateDataFile` makes it) at the head. Without them a node's first start republishes the whole
 * log at a share of the serving thread, which is workload 8's restored-log cause, measured on
 * its own; here it would run under every sitting that follows. The names are the projections'
 * own (`LifecycleRelay.name`, `ConnectionKeyShredder.name`).
 */
const BACKGROUND_PROJECTIONS = ['lifecycle-relay', 'connection-key-shredder'];
const markPublished = async (head) => {
  const file = join(args['data-dir'], 'background-checkpoints.sqlite');
  closeSync(openSync(file, 'a', 0o600));
  const checkpoints = new SqliteReadModelStore(file);
  for (const projection of BACKGROUND_PROJECTIONS) await checkpoints.saveCheckpoint(projection, head);
  await checkpoints.close();
};

const main = async () => {
  const started = Date.now();
  const hashKey = JSON.parse(readFileSync(join(args['data-dir'], 'keys', 'token-hash-key.json'), 'utf8'));
  const store = new SqliteEventStore(join(args['data-dir'], 'events.sqlite'));

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

  // Tokens: each owner's stream, decided in the worker, appended here in one go per owner.
  const work = [];
  let remaining = TOKENS;
  for (let o = 0; o < owners; o += 1) {
    const count = Math.min(PER_OWNER, remaining);
    remaining -= count;
    work.push({ ownerId: userIds[o], count, labelPrefix: 'seeded', load: false });
  }
  for (let u = owners; u < userCount; u += 1) work.push({ ownerId: userIds[u], count: 1, labelPrefix: 'initial', load: true });

  const sample = [];
  const loadUsers = [];
  let seen = 0;
  let appendedTokens = 0;
  let lastLog = Date.now();
  const issuer = startIssuer({ dist: args.dist, tenantId, hashKey, now, expiresAt });
  try {
    const chunks = [];
    for (let i = 0; i < work.length; i += OWNERS_PER_CHUNK) chunks.push(work.slice(i, i + OWNERS_PER_CHUNK));
    let next = chunks.length ? issuer.issue(chunks[0]) : null;
    for (let c = 0; c < chunks.length; c += 1) {
      const issued = await next;
      if (c + 1 < chunks.length) next = issuer.issue(chunks[c + 1]);
      // A chunk's owners appended together share the log's group commits (one fsync per batch the writer takes).
      await Promise.all(issued.map((owner) => store.append(streamName('personalTokens', owner.ownerId), owner.events, 'no_stream')));
      for (const [k, owner] of issued.entries()) {
        events += owner.events.length;
        appendedTokens += owner.tokens.length;
        for (const token of owner.tokens) {
          if (chunks[c][k].load) {
            loadUsers.push({ userId: token.ownerId, tokenId: token.tokenId, secret: token.secret });
            continue;
          }
          // Reservoir sampling: a uniform sample over every seeded token, whatever the count.
          seen += 1;
          if (sample.length < SAMPLE) sample.push(token);
          else {
            const j = Math.floor(Math.random() * seen);
            if (j < SAMPLE) sample[j] = token;
          }
        }
      }
      if (Date.now() - lastLog > 5000) {
        process.stderr.write(`[seed] ${appendedTokens}/${TOKENS + LOAD_USERS} tokens\n`);
        lastLog = Date.now();
      }
    }
  } finally {
    await issuer.stop();
  }

  const head = await store.headPosition();
  await store.close();
  await markPublished(head);

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
