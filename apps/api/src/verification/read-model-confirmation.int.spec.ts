import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ACCESS_TOKEN_REVOCATIONS, AccessTokenRevocationView, SERVICE_ACCOUNTS, ServiceAccountView, SqliteReadModelStore } from '@keyhold/read-models';
import { Principal } from './principal';
import { ReadModelConfirmation } from './read-model-confirmation';

const ISSUED_AT = '2026-01-01T10:00:00.000Z';

describe('ReadModelConfirmation of sealed access tokens (a stale node in read-model mode)', () => {
  const readModels = new SqliteReadModelStore(join(mkdtempSync(join(tmpdir(), 'keyhold-confirmation-')), 'rm.sqlite'));
  const confirmation = new ReadModelConfirmation(readModels, pino({ enabled: false }));
  const accounts = readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS);
  let position = 0;
  const at = () => String((position += 1)).padStart(20, '0');
  const account = (id: string, changes: Partial<ServiceAccountView> = {}): ServiceAccountView => ({
    id,
    tenantId: 'tenant-1',
    name: id,
    status: 'active',
    permissions: ['users:read'],
    projects: [],
    secretHint: 'kh_cs_…abcd',
    secretGeneration: 0,
    permissionsResetPending: false,
    sunsetAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    secretResetAt: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...changes,
  });
  const principal = (accountId: string, tokenId: string, tenantId = 'tenant-1'): Principal => ({
    tenantId,
    actor: { kind: 'service_account', id: accountId },
    credential: { kind: 'accessToken', id: tokenId },
    scope: 'users:read',
    permissions: new Set(['users:read']),
    issuedAt: ISSUED_AT,
    expiresAt: '2026-01-01T11:00:00.000Z',
  });

  beforeAll(async () => {
    await accounts.putIfNewer(account('sa-live'), at());
    await accounts.putIfNewer(account('sa-reset', { secretGeneration: 1, secretResetAt: '2026-01-01T10:00:00.500Z' }), at());
    await accounts.putIfNewer(account('sa-deleted', { status: 'deleted' }), at());
    const revocation: AccessTokenRevocationView = { id: 'token-revoked', tenantId: 'tenant-1', clientId: 'sa-live', expiresAt: '2026-01-01T11:00:00.000Z' };
    await readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS).putIfNewer(revocation, at());
  });
  afterAll(() => readModels.close());

  it('confirms a sealed token with no document of its own while its account is active and unreset', async () => {
    expect(await confirmation.confirms(principal('sa-live', 'token-1'))).toBe(true);
  });

  it('refuses it once revoked, once the account is deleted or its secret reset after the token was issued, and in another tenant', async () => {
    expect(await confirmation.confirms(principal('sa-live', 'token-revoked'))).toBe(false);
    expect(await confirmation.confirms(principal('sa-deleted', 'token-2'))).toBe(false);
    expect(await confirmation.confirms(principal('sa-reset', 'token-3'))).toBe(false);
    expect(await confirmation.confirms(principal('sa-live', 'token-4', 'tenant-2'))).toBe(false);
    expect(await confirmation.confirms(principal('sa-unknown', 'token-5'))).toBe(false);
  });
});
