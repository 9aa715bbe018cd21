import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SqliteEventStore } from '@keyhold/event-store';
import { ACCESS_TOKEN_REVOCATIONS, AccessTokenRevocationView, SqliteReadModelStore } from '@keyhold/read-models';
import { SecretExpiryJob } from './secret-expiry.job';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('SecretExpiryJob: revocations of expired access tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-expiry-job-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const revocations = readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS);
  // Two workers, as when several run the job: each removal happens once.
  const jobs = [0, 1].map(() => new SecretExpiryJob(events, readModels, pino({ enabled: false })));
  const revoked = (id: string, expiresAt: string) => revocations.putIfNewer({ id, tenantId: 'tenant-1', clientId: 'sa-1', expiresAt }, '00000000000000000001');

  beforeAll(async () => {
    await revoked('expired', '2026-03-01T11:59:59.000Z');
    await revoked('expires-now', NOW.toISOString());
    await revoked('live', '2026-03-01T12:59:59.000Z');
  });
  afterAll(async () => {
    await readModels.close();
    await events.close();
  });

  it('removes those whose token expired, never one whose token is still live, and removes each once', async () => {
    expect(await Promise.all(jobs.map((job) => job.pruneRevocations(NOW)))).toEqual(expect.arrayContaining([1, 0]));
    expect(await revocations.get('expired')).toBeNull();
    // Its token is refused from this instant on, but it is not gone before it: kept one pass more.
    expect(await revocations.get('expires-now')).not.toBeNull();
    expect(await revocations.get('live')).toMatchObject({ expiresAt: '2026-03-01T12:59:59.000Z' });
    expect(await jobs[0].pruneRevocations(NOW)).toBe(0);
  });
});
