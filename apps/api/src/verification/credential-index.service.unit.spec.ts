import { randomBytes } from 'node:crypto';
import { EventMetadata, PersonalTokenEvent, TenancyEvent } from '@keyhold/domain';
import { generateSecret, SecretHasher } from '@keyhold/crypto';
import { EventStore, RecordedEvent } from '@keyhold/event-store';
import { KeyholdConfig, KeyholdMetrics, ProjectionsService } from '@keyhold/platform';
import { Logger } from 'pino';
import { CredentialIndexService } from './credential-index.service';
import { EarlyDenials } from './early-denials';
import { PersonalTokenIndex } from './personal-token-index';
import { ReadModelConfirmation } from './read-model-confirmation';
import { RevocationFeed } from './revocation-feed';

const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
/** The module object itself (an `import *` is a frozen copy): what SecretHasher calls createHmac on, so that each HMAC made is counted. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto: typeof import('node:crypto') = require('node:crypto');
const T0 = '2026-01-01T00:00:00.000Z';
const ids = { tenantId: 'tenant-1', ownerId: 'user-1', tokenId: 'token-1' };

/** The event as the log hands it over, at `position`. */
const atPosition = (position: number, { type, data }: PersonalTokenEvent | TenancyEvent): RecordedEvent => {
  const metadata = { eventId: `event-${position}`, occurredAt: T0, tenantId: ids.tenantId, actorId: ids.ownerId, correlationId: 'c', causationId: 'c' } as EventMetadata;
  return { streamName: `apiToken-${ids.ownerId}`, streamRevision: position, globalPosition: String(position).padStart(20, '0'), type, data, metadata };
};

/** A service over one personal token index holding a user and a live token of hers; a fresh feed; nothing else it touches per request. */
const serviceWithLiveToken = () => {
  const secret = generateSecret('personalApiToken');
  const { hash, keyId } = hasher.hash(secret);
  const index = new PersonalTokenIndex();
  const fresh = { isStale: () => false } as unknown as RevocationFeed;
  const metrics = { verifications: { inc: () => undefined } } as unknown as KeyholdMetrics;
  const service = new CredentialIndexService(
    hasher,
    {} as EventStore,
    {} as ProjectionsService,
    {} as Logger,
    [index],
    { DATA_DIR: '/nonexistent', STALE_VERIFICATION: 'refuse' } as KeyholdConfig,
    new EarlyDenials(),
    fresh,
    {} as ReadModelConfirmation,
    metrics,
  );
  service.apply(atPosition(1, { type: 'UserAdded', data: { tenantId: ids.tenantId, userId: ids.ownerId, email: 'a@b.test', role: 'admin', addedAt: T0 } }));
  service.apply(atPosition(2, { type: 'TokenIssued', data: { ...ids, label: 'l', scope: 'read', secretHash: hash, hashKeyId: keyId, hint: 'x', issuedAt: T0, expiresAt: null, idempotency: null } }));
  return { service, secret };
};

describe('CredentialIndexService.authenticate (the caller of a hot route)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('makes the HMAC of a caller only to search the index: a remembered caller costs none', async () => {
    const { service, secret } = serviceWithLiveToken();
    const hmacs = jest.spyOn(nodeCrypto, 'createHmac');

    const first = await service.authenticate(secret, T0);
    expect(first.principal?.credential.id).toBe(ids.tokenId);
    expect(hmacs).toHaveBeenCalledTimes(1);

    const again = await service.authenticate(secret, T0);
    expect(again.principal).toBe(first.principal);
    expect(hmacs).toHaveBeenCalledTimes(1);
  });

  it('remembers each caller apart: another live token is looked up, not taken for the first', async () => {
    const { service, secret } = serviceWithLiveToken();
    await service.authenticate(secret, T0);
    expect((await service.authenticate(generateSecret('personalApiToken'), T0)).principal).toBeNull();
    expect((await service.authenticate(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, T0)).principal).toBeNull();
  });

  it('still refuses a secret it does not know, after hashing it once', async () => {
    const { service } = serviceWithLiveToken();
    const hmacs = jest.spyOn(nodeCrypto, 'createHmac');
    expect((await service.authenticate(generateSecret('personalApiToken'), T0)).principal).toBeNull();
    expect(hmacs).toHaveBeenCalledTimes(1);
  });
});
