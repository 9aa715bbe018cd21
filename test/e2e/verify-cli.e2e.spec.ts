import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliOutput, verifyEventChains } from '../../apps/keyhold/src/cli/verify-event-chains';
import { KeyholdHarness } from '../support/keyhold-harness';

/** Runs the verify command as cli.ts does, against a data directory, capturing what it prints. */
const verify = async (dataDir: string, ...args: string[]) => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output: CliOutput = { stdout: { write: (text) => stdout.push(text) }, stderr: { write: (text) => stderr.push(text) } };
  const status = await verifyEventChains(args, { DATA_DIR: dataDir }, output);
  const lines = stdout.join('').trim().split('\n');
  return { status, stderr: stderr.join(''), stdoutLines: lines, result: JSON.parse(lines[lines.length - 1] || 'null') };
};

describe('The verify CLI command', () => {
  let dataDir: string;
  let adminStream: string;
  let tenantStream: string;
  beforeAll(async () => {
    const keyhold = await KeyholdHarness.start();
    try {
      const admin = await keyhold.bootstrap('verify-corp');
      adminStream = `personalTokens-${admin.userId}`;
      tenantStream = `tenant-${admin.tenantId}`;
      for (const label of ['one', 'two']) expect((await keyhold.post('/v1/tokens', admin.token, { label, scope: 'read' })).status).toBe(201);
    } finally {
      await keyhold.stop();
    }
    dataDir = keyhold.dataDir;
  }, 30_000);

  it('prints one JSON line saying the log is intact, and exits 0', async () => {
    const run = await verify(dataDir);
    expect(run.status).toBe(0);
    expect(run.stdoutLines).toHaveLength(1);
    expect(run.result).toEqual({ events: 5, streams: 2, unchained: 0, ok: true, firstBrokenLink: null });
    expect(run.stderr).toContain('intact');
  });

  it('names the first broken link after the file was edited, and exits 1; other streams still verify', async () => {
    const db = new Database(join(dataDir, 'events.sqlite'));
    const target = db
      .prepare<[string], { position: number; event_id: string }>('SELECT position, event_id FROM events WHERE stream_name = ? AND stream_revision = 1')
      .get(adminStream)!;
    db.prepare("UPDATE events SET data = json_set(data, '$.scope', 'read_write') WHERE position = ?").run(target.position);
    db.close();

    const run = await verify(dataDir);
    expect(run.status).toBe(1);
    expect(run.result).toMatchObject({
      ok: false,
      firstBrokenLink: {
        streamName: adminStream,
        streamRevision: 1,
        eventId: target.event_id,
        globalPosition: String(target.position).padStart(20, '0'),
        problem: 'hash does not match the stored content',
      },
    });
    expect(run.stderr).toContain(`broken at ${adminStream}@1`);

    const onlyTenant = await verify(dataDir, '--stream', tenantStream);
    expect(onlyTenant.status).toBe(0);
    expect(onlyTenant.result).toEqual({ events: 2, streams: 1, unchained: 0, ok: true, firstBrokenLink: null });
  });

  it.each([
    ['not a stream name', ['--stream', 'no dash here'], 'stream must be a stream name'],
    ['an overlong stream name', ['--stream', `x-${'y'.repeat(300)}`], 'stream must be shorter than or equal to 300 characters'],
  ])('refuses %s with a clear message and exit code 2', async (_case, args, message) => {
    const run = await verify(mkdtempSync(join(tmpdir(), 'keyhold-verify-')), ...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.result).toBeNull();
  });
});
