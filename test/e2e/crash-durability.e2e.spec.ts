import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainVerifier, EVENT_STORE, EventStore, RecordedEvent } from '@keyhold/event-store';
import { KeyholdHarness } from '../support/keyhold-harness';
import { KeyholdProcess, startNode, waitFor } from '../support/keyhold-process';

type Issued = { id: string; token: string; label: string };

/**
 * kill -9 during a burst of issuance and revocations: the group commit acknowledges nothing
 * before its fsync, so every write that was answered survives, and every write that was not is
 * either whole in the log (and then in every read model and the credential index) or absent.
 */
describe('Crash during a burst of commands (SIGKILL)', () => {
  const WORKERS = 16;
  const ACKNOWLEDGED_BEFORE_KILL = 80;
  let node: KeyholdProcess | undefined;
  let after: KeyholdHarness | undefined;

  afterAll(async () => {
    if (node?.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await after?.stop();
  });

  it('keeps every acknowledged write and leaves nothing unacknowledged half-applied', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-crash-'));
    const setup = await KeyholdHarness.start(dataDir);
    const admin = await setup.bootstrap('crash');
    const toRevoke: Issued[] = [];
    const revocable = new Map<string, Issued>();
    for (let n = 0; n < 40; n += 1) {
      const issued = await setup.post('/v1/tokens', admin.token, { label: `before ${n}`, scope: 'read' });
      expect(issued.status).toBe(201);
      toRevoke.push({ id: issued.body.id, token: issued.body.token, label: `before ${n}` });
      revocable.set(issued.body.id, toRevoke[n]);
    }
    await setup.stop();

    node = await startNode({ DATA_DIR: dataDir });
    const { url } = node;
    const acknowledgedIssues: Issued[] = [];
    const acknowledgedRevocations = new Set<string>();
    const attemptedRevocations = new Set<string>();
    const attemptedLabels = new Set<string>();
    let killed = false;
    const send = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const acknowledged = () => acknowledgedIssues.length + acknowledgedRevocations.size;

    const worker = async (w: number) => {
      for (let n = 0; !killed; n += 1) {
        const revocation = n % 3 === 2 ? toRevoke.shift() : undefined;
        try {
          if (revocation) {
            attemptedRevocations.add(revocation.id);
            const response = await send(`/v1/tokens/${revocation.id}/revoke`, { reason: 'crash test' });
            if (response.status === 200) acknowledgedRevocations.add(revocation.id);
            else if (!killed) throw new Error(`revocation answered ${response.status}: ${await response.text()}`); // only the crash may fail it
          } else {
            const label = `burst ${w}-${n}`;
            attemptedLabels.add(label);
            const response = await send('/v1/tokens', { label, scope: 'read' });
            if (response.status === 201) {
              const body = (await response.json()) as { id: string; token: string };
              acknowledgedIssues.push({ id: body.id, token: body.token, label });
            } else if (!killed) throw new Error(`issuance answered ${response.status}: ${await response.text()}`);
          }
        } catch (error) {
          // A connection cut by the kill: the write may or may not be in the log.
          if (!killed) throw error;
        }
        if (!killed && acknowledged() >= ACKNOWLEDGED_BEFORE_KILL) {
          killed = true;
          node!.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await new Promise((resolve) => (node!.child.exitCode !== null || node!.child.signalCode !== null ? resolve(null) : node!.child.once('exit', resolve)));
    expect(node.child.signalCode).toBe('SIGKILL');
    expect(acknowledged()).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL);

    after = await KeyholdHarness.start(dataDir);
    const restarted = after;
    await waitFor(
      'every projection caught up',
      async () => {
        const ready = await restarted.get('/health/ready', admin.token); // the detail is an operator's
        return ready.status === 200 && ready.body.projections.every((p: { behind: boolean }) => !p.behind);
      },
      30_000,
    );

    // The log: whole and chained (a torn append would break its stream's chain).
    const store = restarted.app.get<symbol, EventStore>(EVENT_STORE);
    const verifier = new ChainVerifier();
    const log: RecordedEvent[] = [];
    for (let position: string | null = null; ; ) {
      const page = await store.readAllAsStored(position, 1000);
      if (page.length === 0) break;
      for (const event of page) expect(verifier.check(event)).toBeNull();
      log.push(...page);
      position = page[page.length - 1].globalPosition;
    }
    const issuedInLog = new Map(
      log.filter((e) => e.type === 'TokenIssued').map((e) => [(e.data as { tokenId: string }).tokenId, (e.data as { label: string }).label]),
    );
    const revokedInLog = new Set(log.filter((e) => e.type === 'TokenRevoked').map((e) => (e.data as { tokenId: string }).tokenId));

    // Every acknowledged write survived, in the log, the read model and the credential index.
    const introspect = async (token: string) =>
      (await restarted.request('POST', '/oauth/introspect', { token: admin.token, form: { token } })).body.active;
    for (const issued of acknowledgedIssues) {
      expect(issuedInLog.get(issued.id)).toBe(issued.label);
      const revoked = revokedInLog.has(issued.id);
      expect((await restarted.get(`/v1/tokens/${issued.id}`, admin.token)).body).toMatchObject({ label: issued.label, status: revoked ? 'revoked' : 'active' });
      expect(await introspect(issued.token)).toBe(!revoked);
    }
    for (const id of acknowledgedRevocations) expect(revokedInLog.has(id)).toBe(true);

    // Nothing unacknowledged is half-applied: what reached the log reached every view of it, and
    // what did not is nowhere; no request was applied twice.
    const unacknowledgedInLog = [...issuedInLog].filter(([id]) => !acknowledgedIssues.some((i) => i.id === id));
    for (const [id, label] of unacknowledgedInLog) {
      if (!label.startsWith('burst')) continue;
      expect(attemptedLabels.has(label)).toBe(true);
      expect((await restarted.get(`/v1/tokens/${id}`, admin.token)).body).toMatchObject({ label, status: revokedInLog.has(id) ? 'revoked' : 'active' });
    }
    const burstLabels = [...issuedInLog.values()].filter((label) => label.startsWith('burst'));
    expect(new Set(burstLabels).size).toBe(burstLabels.length);
    for (const { id, token } of revocable.values()) {
      const revoked = revokedInLog.has(id);
      if (revoked) expect(attemptedRevocations.has(id)).toBe(true);
      expect((await restarted.get(`/v1/tokens/${id}`, admin.token)).body.status).toBe(revoked ? 'revoked' : 'active');
      expect(await introspect(token)).toBe(!revoked);
    }
    for (const id of revokedInLog) expect(revocable.has(id)).toBe(true);
  }, 180_000);
});
