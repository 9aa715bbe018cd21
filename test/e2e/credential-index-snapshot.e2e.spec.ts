import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNAPSHOT_FILE } from '../../apps/api/src/verification/credential-index-snapshot';
import { KeyholdHarness } from '../support/keyhold-harness';

type Issued = { id: string; token: string };

/** What a start logged of its credential index: whether it took over the snapshot, how much of the log it read, and any refusal. */
const startOf = (node: KeyholdHarness) => {
  const lines = node.logs.flatMap((line) => line.split('\n')).filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const loaded = lines.find((line) => line.msg === 'Credential index loaded');
  const refused = lines.find((line) => line.msg === 'Credential index snapshot refused; loading the whole log');
  return { fromSnapshot: loaded?.fromSnapshot, eventsFromLog: loaded?.eventsFromLog, refused: refused?.reason ?? null };
};

/**
 * A node takes over its credential index's last snapshot at start and reads only the log after
 * it; a snapshot that is tampered with, made under another data directory's key, of another log,
 * or left half-written by a killed node is refused or ignored, and the node is right either way.
 */
describe('The credential index snapshot across restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-snapshot-'));
  const snapshot = join(dataDir, SNAPSHOT_FILE);
  let admin: { tenantId: string; token: string };
  let kept: Issued;
  let revoked: Issued;
  let issuedLater: Issued;
  let behindHead: Buffer;
  let node: KeyholdHarness | undefined;

  const start = async () => (node = await KeyholdHarness.start(dataDir));
  const stop = async () => {
    await node?.stop();
    node = undefined;
  };
  const active = async (token: string) => (await node!.request('POST', '/oauth/introspect', { token: admin.token, form: { token } })).body.active;
  const issue = async (label: string): Promise<Issued> => {
    const issued = await node!.post('/v1/tokens', admin.token, { label, scope: 'read' });
    expect(issued.status).toBe(201);
    return { id: issued.body.id, token: issued.body.token };
  };
  /** Every start must end here: the admin and `kept` live, `revoked` not, `issuedLater` live once issued. */
  const expectRightAnswers = async () => {
    expect(await active(admin.token)).toBe(true);
    expect(await active(kept.token)).toBe(true);
    expect(await active(revoked.token)).toBe(false);
    if (issuedLater) expect(await active(issuedLater.token)).toBe(true);
  };

  afterEach(stop);

  it('is written at shutdown, readable by its owner only, with no plaintext secret in it', async () => {
    await start();
    admin = await node!.bootstrap('snapshot');
    kept = await issue('kept');
    revoked = await issue('revoked later');
    await stop();

    expect(statSync(snapshot).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(snapshot).toString('latin1');
    for (const { token } of [admin, kept, revoked]) expect(bytes).not.toContain(token.slice(-16));
    behindHead = readFileSync(snapshot);
  });

  it('is taken over at the next start, which reads nothing of the log before it', async () => {
    await start();
    expect(startOf(node!)).toEqual({ fromSnapshot: true, eventsFromLog: 0, refused: null });
    expect(await active(revoked.token)).toBe(true);
    const revocation = await node!.post(`/v1/tokens/${revoked.id}/revoke`, admin.token, {});
    expect(revocation.status).toBe(200);
    issuedLater = await issue('after the snapshot');
    await expectRightAnswers();
  });

  it('behind the head, applies what came after it: a revocation made since is enforced', async () => {
    writeFileSync(snapshot, behindHead, { mode: 0o600 });
    await start();
    const { fromSnapshot, eventsFromLog } = startOf(node!);
    expect(fromSnapshot).toBe(true);
    expect(eventsFromLog).toBeGreaterThanOrEqual(2);
    await expectRightAnswers();
  });

  it('tampered with, is refused, and the whole log is loaded', async () => {
    const bytes = readFileSync(snapshot);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(snapshot, bytes);
    await start();
    expect(startOf(node!)).toMatchObject({ fromSnapshot: false, refused: 'mac' });
    await expectRightAnswers();
  });

  it("from another data directory (another hash key), is refused", async () => {
    const other = await KeyholdHarness.start();
    await other.bootstrap('other');
    await other.stop();
    copyFileSync(join(other.dataDir, SNAPSHOT_FILE), snapshot);
    await start();
    expect(startOf(node!)).toMatchObject({ fromSnapshot: false, refused: 'mac' });
    await expectRightAnswers();
  });

  it('of another log under the same hash key (a restored backup, a copied key), is refused', async () => {
    const sameKey = mkdtempSync(join(tmpdir(), 'keyhold-snapshot-same-key-'));
    cpSync(join(dataDir, 'keys'), join(sameKey, 'keys'), { recursive: true });
    const other = await KeyholdHarness.start(sameKey);
    await other.bootstrap('same-key');
    await other.bootstrap('same-key-2');
    await other.bootstrap('same-key-3');
    await other.stop();
    copyFileSync(join(sameKey, SNAPSHOT_FILE), snapshot);
    await start();
    expect(startOf(node!)).toMatchObject({ fromSnapshot: false, refused: 'not-this-log' });
    await expectRightAnswers();
  });

  it('half-written by a node killed while writing it, is ignored and cleared away; the last whole one is used', async () => {
    await start();
    await stop();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const partial = join(dataDir, `${SNAPSHOT_FILE}.${deadPid}.partial`);
    writeFileSync(partial, readFileSync(snapshot).subarray(0, 100), { mode: 0o600 });
    await start();
    expect(startOf(node!)).toEqual({ fromSnapshot: true, eventsFromLog: 0, refused: null });
    expect(existsSync(partial)).toBe(false);
    await expectRightAnswers();
  });
});
