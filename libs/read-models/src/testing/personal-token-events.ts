import { randomUUID } from 'node:crypto';
import { personalTokensDecider, streamName } from '@keyhold/domain';
import { EventStore, handleCommand } from '@keyhold/event-store';

/** Real `TokenIssued` events in the log, decided by the domain, for projection tests; answers the token ids. */
export const issueTokens = async (events: EventStore, count: number, ownerId: string = randomUUID(), tenantId: string = randomUUID()): Promise<string[]> => {
  const now = new Date().toISOString();
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const tokenId = randomUUID();
    ids.push(tokenId);
    await handleCommand(events, streamName('personalTokens', ownerId), personalTokensDecider, {
      type: 'IssueToken', tenantId, ownerId, tokenId, label: `t${n}`, scope: 'read', secretHash: `h${n}`, hashKeyId: 'k', hint: 'kh_pat_…abcd',
      expiresAt: null, idempotency: null, now,
    }, { tenantId, actorId: ownerId, correlationId: 'c', causationId: 'c', now });
  }
  return ids;
};
