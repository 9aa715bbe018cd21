import { PERSONAL_TOKEN_EVENTS, TENANCY_EVENTS } from '../event-families';
import { PersonalTokenEvent, TokenRevoked } from '../personal-tokens/personal-tokens';
import { eventFamilies, eventFamily } from './event-family';

/** As the log gives events back: an envelope around a type name and data it cannot type. */
type Stored = { readonly streamName: string; readonly type: string; readonly data: unknown };

const revoked: Stored = {
  streamName: 'personalTokens-u1',
  type: 'TokenRevoked',
  data: { tenantId: 'tn1', ownerId: 'u1', tokenId: 't1', revokedBy: 'u1', reason: null, revokedAt: '2026-11-29T00:00:00.000Z' } satisfies TokenRevoked['data'],
};
const userAdded: Stored = { streamName: 'tenant-t1', type: 'UserAdded', data: {} };

describe('event families', () => {
  it('narrow a stored event to the family its type belongs to, envelope kept', () => {
    expect(PERSONAL_TOKEN_EVENTS.includes(revoked)).toBe(true);
    expect(PERSONAL_TOKEN_EVENTS.includes(userAdded)).toBe(false);
    if (!PERSONAL_TOKEN_EVENTS.includes(revoked) || revoked.type !== 'TokenRevoked') throw new Error('not narrowed');
    // Typed without a cast: the discriminant gives the data's shape.
    expect(revoked.data.tokenId).toBe('t1');
    expect(revoked.streamName).toBe('personalTokens-u1');
  });

  it('pick keeps the events of the family, in log order', () => {
    const picked = PERSONAL_TOKEN_EVENTS.pick([userAdded, revoked, userAdded]);
    expect(picked.map((event) => event.type)).toEqual(['TokenRevoked']);
  });

  it('several families read as one', () => {
    const both = eventFamilies(PERSONAL_TOKEN_EVENTS, TENANCY_EVENTS);
    expect(both.pick([revoked, userAdded, { streamName: 's', type: 'SessionStarted', data: {} }]).map((event) => event.type)).toEqual([
      'TokenRevoked',
      'UserAdded',
    ]);
    expect([...both.types].sort()).toEqual([...PERSONAL_TOKEN_EVENTS.types, ...TENANCY_EVENTS.types].sort());
  });

  it('a family must name every type of its union, and nothing else', () => {
    // @ts-expect-error TokenRevoked is missing: a new event type nobody listed fails to compile.
    eventFamily<PersonalTokenEvent>({ TokenIssued: true });
    // @ts-expect-error TokenRenamed is no PersonalTokenEvent.
    eventFamily<PersonalTokenEvent>({ TokenIssued: true, TokenRevoked: true, TokenRenamed: true });
    expect(PERSONAL_TOKEN_EVENTS.types).toEqual(new Set(['TokenIssued', 'TokenRevoked']));
  });
});
