import { randomBytes } from 'node:crypto';
import { AccessTokenEvent, ApiClientEvent, ApiClientFlows, DEFAULT_API_CLIENT_FLOWS, EventMetadata, ROLE_PERMISSIONS, ServiceAccountEvent } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { AuthenticatedClient, OAuthIndex } from './oauth-index';
import { LifecycleMessage } from '@keyhold/messaging';
import { EarlyDenials } from './early-denials';

const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
const TENANT = 'tenant-1';
const CLIENT = 'client-1';
const ids = { tenantId: TENANT, clientId: CLIENT };
const T0 = '2026-01-01T00:00:00.000Z';
const EXPIRY = '2026-07-01T00:00:00.000Z';
const JUST_BEFORE = '2026-06-30T23:59:59.999Z';
const LATER = '2027-01-01T00:00:00.000Z';

let position = 0;
const recorded = (event: ApiClientEvent | ServiceAccountEvent | AccessTokenEvent): RecordedEvent => {
  position += 1;
  return {
    streamName: `test-${position}`,
    streamRevision: 0,
    globalPosition: String(position).padStart(20, '0'),
    type: event.type,
    data: event.data,
    metadata: {} as EventMetadata,
  };
};

const newSecret = () => {
  const secret = generateSecret('clientSecret');
  const { hash, keyId } = hasher.hash(secret);
  return { secret, stored: { secretHash: hash, hashKeyId: keyId, hint: secretHint(secret) } };
};

const flows = (changes: Partial<ApiClientFlows>): ApiClientEvent => ({
  type: 'ApiClientFlowsChanged',
  data: { ...ids, flows: { ...DEFAULT_API_CLIENT_FLOWS, ...changes }, changedAt: T0 },
});

const issueToken = (index: OAuthIndex, client: AuthenticatedClient, expiresAt = LATER) => {
  const token = generateSecret('accessToken');
  const { hash, keyId } = hasher.hash(token);
  index.apply(
    recorded({
      type: 'AccessTokenIssued',
      data: {
        tenantId: client.tenantId,
        tokenId: `token-${position}`,
        clientId: client.clientId,
        clientKind: client.kind,
        scope: [...client.permissions],
        secretHash: hash,
        hashKeyId: keyId,
        clientGeneration: client.generation,
        clientSecretId: client.secretId,
        issuedAt: T0,
        expiresAt,
      },
    }),
  );
  return token;
};

/** An index holding one API client with two secrets: the first expires at EXPIRY, the second later. */
const setUp = (denials = new EarlyDenials()) => {
  const index = new OAuthIndex(hasher, denials);
  const first = newSecret();
  const second = newSecret();
  const events: ApiClientEvent[] = [
    { type: 'ApiClientCreated', data: { ...ids, name: 'reporting', flows: DEFAULT_API_CLIENT_FLOWS, createdAt: T0 } },
    { type: 'ClientSecretAdded', data: { ...ids, secretId: 's-1', secret: first.stored, expiresAt: EXPIRY, addedAt: T0 } },
    { type: 'ClientSecretAdded', data: { ...ids, secretId: 's-2', secret: second.stored, expiresAt: LATER, addedAt: T0 } },
  ];
  for (const event of events) index.apply(recorded(event));
  return { index, first: first.secret, second: second.secret };
};

const authenticated = (result: ReturnType<OAuthIndex['authenticateClient']>): AuthenticatedClient => {
  if (typeof result === 'string') throw new Error(`authentication failed: ${result}`);
  return result;
};

describe('OAuthIndex for API clients', () => {
  it('authenticates with any of its live secrets and says which one matched', () => {
    const { index, first, second } = setUp();
    expect(authenticated(index.authenticateClient(CLIENT, first, T0))).toMatchObject({ clientId: CLIENT, kind: 'api_client', tenantId: TENANT, secretId: 's-1' });
    expect(authenticated(index.authenticateClient(CLIENT, second, T0)).secretId).toBe('s-2');
    expect(index.authenticateClient(CLIENT, newSecret().secret, T0)).toBe('wrong_secret');
  });

  it('refuses a secret from its expiry instant, before any expiry event, and keeps the other one', () => {
    const { index, first, second } = setUp();
    expect(typeof index.authenticateClient(CLIENT, first, JUST_BEFORE)).toBe('object');
    expect(index.authenticateClient(CLIENT, first, EXPIRY)).toBe('expired_secret');
    expect(typeof index.authenticateClient(CLIENT, second, EXPIRY)).toBe('object');
    // The expiry event, when the job records it, forgets the secret altogether.
    index.apply(recorded({ type: 'ClientSecretExpired', data: { ...ids, secretId: 's-1', expiresAt: EXPIRY, expiredAt: LATER } }));
    expect(index.authenticateClient(CLIENT, first, JUST_BEFORE)).toBe('wrong_secret');
  });

  it('forgets a removed secret at once', () => {
    const { index, first, second } = setUp();
    index.apply(recorded({ type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: T0 } }));
    expect(index.authenticateClient(CLIENT, first, T0)).toBe('wrong_secret');
    expect(typeof index.authenticateClient(CLIENT, second, T0)).toBe('object');
  });

  it('checks a secret that matched before without hashing it again, and still refuses it once removed', () => {
    const { index, first, second } = setUp();
    expect(authenticated(index.authenticateClient(CLIENT, first, T0)).secretId).toBe('s-1');
    const hashing = jest.spyOn(hasher, 'candidateHashes');
    try {
      expect(authenticated(index.authenticateClient(CLIENT, first, T0)).secretId).toBe('s-1');
      expect(hashing).not.toHaveBeenCalled();
      // Another secret of the same client is no match for what was remembered of the first.
      expect(authenticated(index.authenticateClient(CLIENT, second, T0)).secretId).toBe('s-2');
      expect(index.authenticateClient(CLIENT, newSecret().secret, T0)).toBe('wrong_secret');
    } finally {
      hashing.mockRestore();
    }
    index.apply(recorded({ type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: T0 } }));
    expect(index.authenticateClient(CLIENT, first, T0)).toBe('wrong_secret');
  });

  it('refuses a secret, or the whole client, that a lifecycle message ends before the log brings the event', () => {
    const denials = new EarlyDenials();
    const { index, first, second } = setUp(denials);
    const message = (eventType: string, data: Record<string, string>) =>
      ({ eventType, subject: { kind: 'api_client', id: CLIENT }, data, position: String(position + 1).padStart(20, '0') }) as unknown as LifecycleMessage;
    denials.record(message('ClientSecretRemoved', { secretId: 's-1' }));
    expect(index.authenticateClient(CLIENT, first, T0)).toBe('wrong_secret');
    expect(typeof index.authenticateClient(CLIENT, second, T0)).toBe('object');
    denials.record(message('ApiClientDeleted', {}));
    expect(index.authenticateClient(CLIENT, second, T0)).toBe('unknown');
    expect(index.client(CLIENT)).toBeNull();
  });

  it('allows the authorization code grant only, and no permissions, until other flows are on', () => {
    const { index, first } = setUp();
    const client = authenticated(index.authenticateClient(CLIENT, first, T0));
    expect([...client.grants]).toEqual(['authorization_code']);
    expect(client.permissions.size).toBe(0);

    index.apply(recorded(flows({ refreshTokens: true, password: true, clientCredentials: true, clientCredentialsRoles: ['member'] })));
    const enabled = authenticated(index.authenticateClient(CLIENT, first, T0));
    expect([...enabled.grants].sort()).toEqual(['authorization_code', 'client_credentials', 'password', 'refresh_token']);
    expect([...enabled.permissions].sort()).toEqual([...ROLE_PERMISSIONS.member].sort());
  });

  it('computes an access token’s rights from the client’s flows at verification', () => {
    const { index, first } = setUp();
    index.apply(recorded(flows({ clientCredentials: true, clientCredentialsRoles: ['member'] })));
    const token = issueToken(index, authenticated(index.authenticateClient(CLIENT, first, T0)));
    const principal = index.verify(() => hasher.candidateHashes(token), T0);
    expect(principal).toMatchObject({ tenantId: TENANT, actor: { kind: 'api_client', id: CLIENT }, credential: { kind: 'accessToken' } });
    expect([...principal!.permissions].sort()).toEqual(['tokens:read', 'tokens:write']);

    // Turning the flow off leaves outstanding tokens with no rights at once.
    index.apply(recorded(flows({ clientCredentials: false, clientCredentialsRoles: ['member'] })));
    expect(index.verify(() => hasher.candidateHashes(token), T0)!.permissions.size).toBe(0);
  });

  it('kills every secret and access token when the client is deleted', () => {
    const { index, first, second } = setUp();
    index.apply(recorded(flows({ clientCredentials: true, clientCredentialsRoles: ['admin'] })));
    const token = issueToken(index, authenticated(index.authenticateClient(CLIENT, first, T0)));
    index.apply(recorded({ type: 'ApiClientDeleted', data: { ...ids, deletedAt: T0 } }));
    expect(index.verify(() => hasher.candidateHashes(token), T0)).toBeNull();
    expect(index.authenticateClient(CLIENT, first, T0)).toBe('unknown');
    expect(index.authenticateClient(CLIENT, second, T0)).toBe('unknown');
    expect(index.client(CLIENT)).toBeNull();
  });

  it('kills the access tokens minted with a secret when that secret expires or is removed, and only those', () => {
    const { index, first, second } = setUp();
    index.apply(recorded(flows({ clientCredentials: true, clientCredentialsRoles: ['member'] })));
    const fromFirst = issueToken(index, authenticated(index.authenticateClient(CLIENT, first, T0)));
    const fromSecond = issueToken(index, authenticated(index.authenticateClient(CLIENT, second, T0)));
    expect(index.verify(() => hasher.candidateHashes(fromFirst), JUST_BEFORE)).not.toBeNull();
    // From the secret's expiry instant, before the expiry job records anything.
    expect(index.verify(() => hasher.candidateHashes(fromFirst), EXPIRY)).toBeNull();
    expect(index.verify(() => hasher.candidateHashes(fromSecond), EXPIRY)).not.toBeNull();
    index.apply(recorded({ type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-2', removedAt: T0 } }));
    expect(index.verify(() => hasher.candidateHashes(fromSecond), T0)).toBeNull();
  });

  it('lets a token recorded before tokens named their secret live out its lifetime', () => {
    const { index, first } = setUp();
    index.apply(recorded(flows({ clientCredentials: true, clientCredentialsRoles: ['member'] })));
    const client = authenticated(index.authenticateClient(CLIENT, first, T0));
    const legacy = issueToken(index, { ...client, secretId: null });
    index.apply(recorded({ type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: T0 } }));
    expect(index.verify(() => hasher.candidateHashes(legacy), T0)).not.toBeNull();
  });

  it('still gives service accounts the client_credentials grant only, and no secret id', () => {
    const index = new OAuthIndex(hasher, new EarlyDenials());
    const { secret, stored } = newSecret();
    index.apply(recorded({ type: 'ServiceAccountCreated', data: { tenantId: TENANT, accountId: 'sa-1', name: 'export', secret: stored, sunsetAt: null, createdAt: T0 } }));
    index.apply(recorded({ type: 'ServiceAccountPermissionGranted', data: { tenantId: TENANT, accountId: 'sa-1', permission: 'tokens:introspect', grantedAt: T0 } }));
    const client = authenticated(index.authenticateClient('sa-1', secret, T0));
    expect(client).toMatchObject({ kind: 'service_account', secretId: null });
    expect([...client.grants]).toEqual(['client_credentials']);
    expect([...client.permissions]).toEqual(['tokens:introspect']);
  });
  it('refuses a service account’s secret that matched before once the secret is reset', () => {
    const index = new OAuthIndex(hasher, new EarlyDenials());
    const { secret, stored } = newSecret();
    index.apply(recorded({ type: 'ServiceAccountCreated', data: { tenantId: TENANT, accountId: 'sa-1', name: 'export', secret: stored, sunsetAt: null, createdAt: T0 } }));
    expect(typeof index.authenticateClient('sa-1', secret, T0)).toBe('object');
    expect(typeof index.authenticateClient('sa-1', secret, T0)).toBe('object');
    const reset = newSecret();
    index.apply(recorded({ type: 'ClientSecretReset', data: { tenantId: TENANT, accountId: 'sa-1', secret: reset.stored, generation: 1, resetAt: T0 } }));
    expect(index.authenticateClient('sa-1', secret, T0)).toBe('wrong_secret');
    expect(authenticated(index.authenticateClient('sa-1', reset.secret, T0)).generation).toBe(1);
  });
});

describe('OAuthIndex for sealed access tokens', () => {
  const HOUR_LATER = '2026-01-01T01:00:00.000Z';
  const account = (index: OAuthIndex, tenantId = TENANT) => {
    const { secret, stored } = newSecret();
    applyAccount(index, stored, tenantId);
    return authenticated(index.authenticateClient('sa-1', secret, T0));
  };
  const applyAccount = (index: OAuthIndex, stored: ReturnType<typeof newSecret>['stored'], tenantId = TENANT) => {
    index.apply(recorded({ type: 'ServiceAccountCreated', data: { tenantId, accountId: 'sa-1', name: 'export', secret: stored, sunsetAt: null, createdAt: T0 } }));
    index.apply(recorded({ type: 'ServiceAccountPermissionGranted', data: { tenantId, accountId: 'sa-1', permission: 'tokens:introspect', grantedAt: T0 } }));
    index.apply(recorded({ type: 'ServiceAccountPermissionGranted', data: { tenantId, accountId: 'sa-1', permission: 'users:read', grantedAt: T0 } }));
  };
  const claimsFor = (client: AuthenticatedClient, tokenId = 'token-1') => ({
    tenantId: client.tenantId,
    clientId: client.clientId,
    clientKind: client.kind,
    tokenId,
    clientGeneration: client.generation,
    clientSecretId: client.secretId,
    scope: ['tokens:introspect' as const],
    issuedAt: T0,
    expiresAt: HOUR_LATER,
  });
  const verify = (index: OAuthIndex, token: string, now = T0) => index.verify(() => hasher.candidateHashes(token), now, token);
  const setUpAccount = () => {
    const index = new OAuthIndex(hasher, new EarlyDenials());
    const client = account(index);
    return { index, client, token: index.seal(claimsFor(client)) };
  };

  it('verifies a sealed token by its MAC alone: it never asks for the hashes only tokens issued before sealing need', () => {
    const { index, token } = setUpAccount();
    const noHashes = () => {
      throw new Error('a sealed token needs no candidate hashes');
    };
    expect(index.verify(noHashes, T0, token)?.credential).toEqual({ kind: 'accessToken', id: 'token-1' });
  });

  it('verifies with nothing recorded per token: the token’s scope ∩ what the account holds now', () => {
    const { index, token } = setUpAccount();
    expect(token).toMatch(/^kh_at_[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(512);
    expect(index.size).toBe(0);
    expect(verify(index, token)).toMatchObject({
      tenantId: TENANT,
      actor: { kind: 'service_account', id: 'sa-1' },
      credential: { kind: 'accessToken', id: 'token-1' },
      scope: 'tokens:introspect',
      issuedAt: T0,
      expiresAt: HOUR_LATER,
    });
    expect([...verify(index, token)!.permissions]).toEqual(['tokens:introspect']);
    index.apply(recorded({ type: 'ServiceAccountPermissionRemoved', data: { tenantId: TENANT, accountId: 'sa-1', permission: 'tokens:introspect', removedAt: T0 } }));
    expect(verify(index, token)!.permissions.size).toBe(0);
    expect(verify(index, token, HOUR_LATER)).toBeNull();
  });

  it('refuses a forged or altered token: any character changed, cut, or claims sealed under another server’s key', () => {
    const { index, client, token } = setUpAccount();
    const body = token.slice('kh_at_'.length);
    for (let at = 0; at < body.length; at += 7) {
      const altered = 'kh_at_' + body.slice(0, at) + (body[at] === 'A' ? 'B' : 'A') + body.slice(at + 1);
      expect(verify(index, altered)).toBeNull();
    }
    expect(verify(index, token.slice(0, -2))).toBeNull();
    // The same key id on another deployment, with its own key: its tokens mean nothing here.
    const elsewhere = new OAuthIndex(new SecretHasher({ id: 'k1', key: randomBytes(32) }), new EarlyDenials());
    expect(verify(index, elsewhere.seal(claimsFor(client)))).toBeNull();
    // A key id this server does not hold.
    const unknownKey = new OAuthIndex(new SecretHasher({ id: 'k9', key: randomBytes(32) }), new EarlyDenials());
    expect(verify(index, unknownKey.seal(claimsFor(client)))).toBeNull();
  });

  it('refuses a token whose claims name another tenant than its client’s, or another kind of client', () => {
    const { index, client } = setUpAccount();
    expect(verify(index, index.seal({ ...claimsFor(client), tenantId: 'tenant-2' }))).toBeNull();
    expect(verify(index, index.seal({ ...claimsFor(client), clientKind: 'api_client' }))).toBeNull();
  });

  it('keeps verifying tokens sealed under a previous key while it is kept, and refuses them once it is dropped', () => {
    const { index, client } = setUpAccount();
    const previous = { id: 'k0', key: randomBytes(32) };
    const token = new OAuthIndex(new SecretHasher(previous), new EarlyDenials()).seal(claimsFor(client));
    const { stored } = newSecret();
    const rotated = new OAuthIndex(new SecretHasher({ id: 'k1', key: randomBytes(32) }, [previous]), new EarlyDenials());
    applyAccount(rotated, stored);
    expect(verify(rotated, token)).not.toBeNull();
    const dropped = new OAuthIndex(new SecretHasher({ id: 'k1', key: randomBytes(32) }), new EarlyDenials());
    applyAccount(dropped, stored);
    expect(verify(dropped, token)).toBeNull();
    expect(verify(index, token)).toBeNull();
  });

  it('makes earlier tokens inactive after a secret reset, and the new generation’s tokens carry no rights until regranted', () => {
    const { index, client, token } = setUpAccount();
    const { stored } = newSecret();
    index.apply(recorded({ type: 'ClientSecretReset', data: { tenantId: TENANT, accountId: 'sa-1', secret: stored, generation: 1, resetAt: T0 } }));
    expect(verify(index, token)).toBeNull();
    const fresh = index.seal({ ...claimsFor(client, 'token-2'), clientGeneration: 1 });
    expect(verify(index, fresh)!.permissions.size).toBe(0);
    index.apply(
      recorded({ type: 'ServiceAccountPermissionsReset', data: { tenantId: TENANT, accountId: 'sa-1', removedPermissions: ['tokens:introspect', 'users:read'], leftProjects: [], generation: 1, resetAt: T0 } }),
    );
    index.apply(recorded({ type: 'ServiceAccountPermissionGranted', data: { tenantId: TENANT, accountId: 'sa-1', permission: 'tokens:introspect', grantedAt: T0 } }));
    expect([...verify(index, fresh)!.permissions]).toEqual(['tokens:introspect']);
    expect(verify(index, token)).toBeNull();
  });

  it('denies a revoked token until it expires, and then forgets it (the deny set is bounded by one token lifetime)', () => {
    const { index, client, token } = setUpAccount();
    const other = index.seal(claimsFor(client, 'token-2'));
    expect(index.revocable(token, T0)).toMatchObject({ tenantId: TENANT, tokenId: 'token-1', clientId: 'sa-1', expiresAt: HOUR_LATER });
    index.apply(recorded({ type: 'AccessTokenRevoked', data: { tenantId: TENANT, tokenId: 'token-1', clientId: 'sa-1', revokedAt: T0, revokedBy: 'sa-1', expiresAt: HOUR_LATER } }));
    expect(verify(index, token)).toBeNull();
    expect(verify(index, other)).not.toBeNull();
    expect(verify(index, token, JUST_BEFORE_HOUR)).toBeNull();
    expect(index.revokedSize).toBe(1);
    expect(verify(index, token, HOUR_LATER)).toBeNull();
    // Forgotten within a minute of its expiry: the set holds one token lifetime of revocations at most.
    expect(verify(index, other, '2026-01-01T01:01:00.000Z')).toBeNull();
    expect(index.revokedSize).toBe(0);
    expect(index.revocable(token, HOUR_LATER)).toBeNull();
  });

  it('is revoked by the client that holds it only: whose it is comes from its claims', () => {
    const { index, token } = setUpAccount();
    expect(index.revocable(token, T0)?.clientId).toBe('sa-1');
    expect(index.revocable('kh_at_' + 'A'.repeat(120), T0)).toBeNull();
  });
});
const JUST_BEFORE_HOUR = '2026-01-01T00:59:59.000Z';
