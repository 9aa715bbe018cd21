import { CommandBus } from '@nestjs/cqrs';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventMetadata, OPERATOR } from '@keyhold/domain';
import { EVENT_STORE, EventStore, SqliteEventStore, verifyEventLog } from '@keyhold/event-store';
import { IssueTokenCommand } from '../../apps/api/src/tokens/tokens.commands';
import { KeyholdHarness } from '../support/keyhold-harness';

/** One line of the fixture: a row of the events table as the v1 code wrote it, JSON columns parsed. */
type FixtureRow = {
  position: number;
  eventId: string;
  streamName: string;
  streamRevision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
};

const FIXTURE = join(__dirname, '..', 'fixtures', 'event-log-v1.ndjson');
const fixture: FixtureRow[] = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

const TENANT_ID = fixture[0].data.tenantId as string;
const ADMIN_ID = fixture.find((row) => row.type === 'UserAdded' && row.data.role === 'admin')!.data.userId as string;
const IDEMPOTENT_ISSUE = fixture.find((row) => row.type === 'TokenIssued' && row.data.idempotencyKey !== null)!;

/** The data directory of a node that ran the v1 code: its rows inserted as they were, no chain, TokenIssued at v1. */
const dataDirWithV1Log = () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-v1-log-'));
  const file = join(dataDir, 'events.sqlite');
  void new SqliteEventStore(file).close();
  const db = new Database(file);
  const insert = db.prepare(
    'INSERT INTO events (position, event_id, stream_name, stream_revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const row of fixture) {
      insert.run(row.position, row.eventId, row.streamName, row.streamRevision, row.type, JSON.stringify(row.data), JSON.stringify(row.metadata));
    }
  })();
  db.close();
  return dataDir;
};

describe('A log written by v1 code, run by the current Keyhold', () => {
  it('is a v1 fixture: TokenIssued at schema version 1, with the idempotency pair as two fields, and no chain', () => {
    const issued = fixture.filter((row) => row.type === 'TokenIssued');
    expect(issued.length).toBeGreaterThanOrEqual(3);
    expect(issued.every((row) => row.metadata.schemaVersion === 1 && 'idempotencyKey' in row.data && 'requestFingerprint' in row.data)).toBe(true);
    expect(fixture.every((row) => row.metadata.integrity === undefined)).toBe(true);
  });

  let keyhold: KeyholdHarness;
  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(dataDirWithV1Log());
  });
  afterAll(async () => {
    await keyhold.stop();
  });
  const events = () => keyhold.app.get<symbol, EventStore>(EVENT_STORE);

  it('reads old TokenIssued events in the current shape', async () => {
    const stream = await events().readStream(IDEMPOTENT_ISSUE.streamName);
    const upcast = stream.find((event) => event.metadata.eventId === IDEMPOTENT_ISSUE.eventId)!;
    expect(upcast.metadata.schemaVersion).toBe(2);
    expect(upcast.data).toEqual({
      ...Object.fromEntries(Object.entries(IDEMPOTENT_ISSUE.data).filter(([key]) => key !== 'idempotencyKey' && key !== 'requestFingerprint')),
      idempotency: { key: IDEMPOTENT_ISSUE.data.idempotencyKey, requestFingerprint: IDEMPOTENT_ISSUE.data.requestFingerprint },
    });
  });

  it('projects the old tokens into the read models, and recognises a retry of a v1 request by its idempotency key', async () => {
    // The fixture's secrets are unknown (only their hashes were kept), so the admin gets a new token.
    const issued = await keyhold.app
      .get(CommandBus)
      .execute(new IssueTokenCommand({ tenantId: TENANT_ID, ownerId: ADMIN_ID, label: 'after upgrade', scope: 'read_write', expiresAt: null, idempotencyKey: null, context: { actorId: ADMIN_ID, correlationId: 'e2e', causationId: 'e2e', caller: OPERATOR } }));
    const token = issued.secret!;

    let listed = await keyhold.get('/v1/tokens', token);
    for (let attempt = 0; attempt < 50 && listed.body?.items?.length !== 4; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      listed = await keyhold.get('/v1/tokens', token);
    }
    expect(listed.status).toBe(200);
    const byLabel = Object.fromEntries(listed.body.items.map((item: { label: string }) => [item.label, item]));
    expect(Object.keys(byLabel).sort()).toEqual(['after upgrade', 'bootstrap', 'ci-deploy', 'laptop']);
    expect(byLabel['ci-deploy']).toMatchObject({ id: IDEMPOTENT_ISSUE.data.tokenId, scope: 'read', status: 'active', hint: IDEMPOTENT_ISSUE.data.hint });
    expect(byLabel.laptop).toMatchObject({ status: 'revoked', scope: 'read_write' });

    const retry = await keyhold.request('POST', '/v1/tokens', {
      token,
      json: { label: 'ci-deploy', scope: 'read' },
      headers: { 'idempotency-key': IDEMPOTENT_ISSUE.data.idempotencyKey as string },
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(IDEMPOTENT_ISSUE.data.tokenId);
  });

  it('writes new events at the current version and chains them onto the old history, which verifies', async () => {
    const stored = await events().readAllAsStored(null, 1000);
    const fresh = stored.slice(fixture.length);
    expect(fresh.map((event) => [event.type, event.metadata.schemaVersion])).toEqual([['TokenIssued', 2]]);
    expect(fresh[0].data).toMatchObject({ label: 'after upgrade', idempotency: null });
    expect(fresh[0].metadata.integrity?.previousHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyEventLog(events())).toEqual({ events: fixture.length + 1, streams: 3, unchained: fixture.length, ok: true, firstBrokenLink: null });
  });
});
