import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersonalTokenEvent, streamName, TenancyEvent } from '@keyhold/domain';
import { generateSecret, SecretHasher } from '@keyhold/crypto';
import { metadataFor, SqliteEventStore } from '@keyhold/event-store';
import { IN_MEMORY_CHECKPOINTS, ProjectionRunner } from '@keyhold/read-models';
import { PersonalTokenIndex } from './personal-token-index';

const OWNERS = 40;
const TOKENS_PER_OWNER = 100;

/**
 * A node's index catches up with a backlog (at start, or behind another process's writes) on
 * the serving thread: it must do so in slices with a turn of the event loop between them, so
 * that requests are answered meanwhile, never after one long block.
 */
describe('The credential index catching up with a backlog', () => {
  it('applies it in slices, and answers lookups between them before it is done', async () => {
    const events = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-catch-up-')), 'events.sqlite'));
    const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
    const now = new Date().toISOString();
    const tenantId = randomUUID();
    const context = (actorId: string) => ({ tenantId, actorId, correlationId: 'c', causationId: 'c', now });
    const owners = Array.from({ length: OWNERS }, () => randomUUID());
    const added: TenancyEvent[] = owners.map((userId, n) => ({ type: 'UserAdded', data: { tenantId, userId, email: `u${n}@x.test`, role: 'member', addedAt: now } }));
    await events.append(streamName('tenant', tenantId), added.map((event) => ({ ...event, metadata: metadataFor(context(owners[0]), event.type) })), 'no_stream');
    const firstSecret = generateSecret('personalApiToken');
    for (const ownerId of owners) {
      const issued: PersonalTokenEvent[] = Array.from({ length: TOKENS_PER_OWNER }, (_, n) => {
        const { hash, keyId } = hasher.hash(ownerId === owners[0] && n === 0 ? firstSecret : generateSecret('personalApiToken'));
        const data = { tenantId, ownerId, tokenId: randomUUID(), label: `t${n}`, scope: 'read' as const, secretHash: hash, hashKeyId: keyId, hint: 'h', issuedAt: now, expiresAt: null, idempotency: null };
        return { type: 'TokenIssued', data };
      });
      await events.append(streamName('personalTokens', ownerId), issued.map((event) => ({ ...event, metadata: metadataFor(context(ownerId), event.type) })), 'no_stream');
    }
    const head = (await events.headPosition())!;

    const index = new PersonalTokenIndex();
    const runner = new ProjectionRunner(events, IN_MEMORY_CHECKPOINTS, { name: 'credential-index', apply: (event) => index.apply(event) }, { error: () => undefined });
    const sizesSeenWhileBehind = new Set<number>();
    let answeredWhileBehind = 0;
    let serving = true;
    const request = () => {
      if (!serving) return;
      const position = runner.status().position;
      if (position === null || position < head) {
        sizesSeenWhileBehind.add(index.size);
        if (index.verify(() => hasher.candidateHashes(firstSecret), now)) answeredWhileBehind += 1;
      }
      setImmediate(request);
    };
    setImmediate(request);

    await runner.start();
    expect(await runner.waitFor(head, 60_000)).toBe(true);
    serving = false;
    await runner.stop();
    await events.close();

    expect(index.size).toBe(OWNERS * TOKENS_PER_OWNER);
    // Several distinct partial states were visible to requests: the backlog went in slices.
    expect(sizesSeenWhileBehind.size).toBeGreaterThanOrEqual(4);
    expect(answeredWhileBehind).toBeGreaterThan(0);
  });
});
