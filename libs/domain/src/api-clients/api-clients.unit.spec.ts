import { StoredSecret } from '../service-accounts/service-accounts';
import { deciderSpec } from '../testing/decider-spec';
import {
  ApiClientEvent,
  apiClientDecider,
  ApiClientFlows,
  clientSecretLifetime,
  clientSecretStatusAt,
  DEFAULT_API_CLIENT_FLOWS,
  redirectUriProblem,
} from './api-clients';

const TENANT = 'tenant-1';
const CLIENT = 'client-1';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T01:00:00.000Z';
const T2 = '2026-07-01T00:00:00.000Z';
const LATER = '2027-01-01T00:00:00.000Z';
const FIRST: StoredSecret = { secretHash: 'hash-1', hashKeyId: 'k1', hint: 'kh_cs_…aaaa' };
const SECOND: StoredSecret = { secretHash: 'hash-2', hashKeyId: 'k1', hint: 'kh_cs_…bbbb' };
const ids = { tenantId: TENANT, clientId: CLIENT };

const created: ApiClientEvent = { type: 'ApiClientCreated', data: { ...ids, name: 'reporting', flows: DEFAULT_API_CLIENT_FLOWS, createdAt: T0 } };
const firstSecret: ApiClientEvent = { type: 'ClientSecretAdded', data: { ...ids, secretId: 's-1', secret: FIRST, expiresAt: T2, addedAt: T0 } };
const secondSecret: ApiClientEvent = { type: 'ClientSecretAdded', data: { ...ids, secretId: 's-2', secret: SECOND, expiresAt: LATER, addedAt: T1 } };
const firstRemoved: ApiClientEvent = { type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: T1 } };
const firstExpired: ApiClientEvent = { type: 'ClientSecretExpired', data: { ...ids, secretId: 's-1', expiresAt: T2, expiredAt: T2 } };
const deleted: ApiClientEvent = { type: 'ApiClientDeleted', data: { ...ids, deletedAt: T1 } };
const uriAdded = (uri: string): ApiClientEvent => ({ type: 'RedirectUriAdded', data: { ...ids, uri, addedAt: T1 } });
const secretAdded = (n: number, expiresAt = LATER): ApiClientEvent => ({
  type: 'ClientSecretAdded',
  data: { ...ids, secretId: `extra-${n}`, secret: { ...SECOND, secretHash: `hash-extra-${n}` }, expiresAt, addedAt: T1 },
});
const withClientCredentials: ApiClientFlows = { ...DEFAULT_API_CLIENT_FLOWS, clientCredentials: true, clientCredentialsRoles: ['member'] };

const spec = deciderSpec(apiClientDecider);
const existing = [created, firstSecret];

describe('API client decider', () => {
  describe('creation', () => {
    it('creates the client with default flows and its first secret, in that order', () =>
      spec
        .given([])
        .when({ type: 'CreateApiClient', ...ids, name: 'reporting', secretId: 's-1', secret: FIRST, secretExpiresAt: T2, now: T0 })
        .then([created, firstSecret]));

    it('refuses to create a client twice, or with a secret that is already expired', () => {
      spec.given(existing).when({ type: 'CreateApiClient', ...ids, name: 'again', secretId: 's-9', secret: FIRST, secretExpiresAt: T2, now: T0 }).thenRejects('ApiClientExists');
      spec.given([]).when({ type: 'CreateApiClient', ...ids, name: 'x', secretId: 's-1', secret: FIRST, secretExpiresAt: T0, now: T0 }).thenRejects('SecretExpiryNotInFuture');
    });

    it('defaults every optional flow to off, with no roles', () =>
      expect(DEFAULT_API_CLIENT_FLOWS).toEqual({ requirePkce: false, refreshTokens: false, password: false, clientCredentials: false, clientCredentialsRoles: [] }));
  });

  describe('renaming', () => {
    it('renames; the same name again changes nothing', () => {
      spec.given(existing).when({ type: 'RenameApiClient', tenantId: TENANT, name: 'billing', now: T1 }).then([
        { type: 'ApiClientRenamed', data: { ...ids, name: 'billing', renamedAt: T1 } },
      ]);
      spec.given(existing).when({ type: 'RenameApiClient', tenantId: TENANT, name: 'reporting', now: T1 }).thenNothing();
    });
  });

  describe('secrets', () => {
    it('adds a second secret while the first still works, for rotation', () =>
      spec.given(existing).when({ type: 'AddClientSecret', tenantId: TENANT, secretId: 's-2', secret: SECOND, expiresAt: LATER, now: T1 }).then([secondSecret]));

    it('refuses a secret id already used, even by a removed secret, and an expiry not in the future', () => {
      spec.given([...existing, firstRemoved]).when({ type: 'AddClientSecret', tenantId: TENANT, secretId: 's-1', secret: SECOND, expiresAt: LATER, now: T1 }).thenRejects('ClientSecretExists');
      spec.given(existing).when({ type: 'AddClientSecret', tenantId: TENANT, secretId: 's-2', secret: SECOND, expiresAt: T1, now: T1 }).thenRejects('SecretExpiryNotInFuture');
    });

    it('holds at most five live secrets; removed and past-expiry ones do not count', () => {
      const four = [1, 2, 3, 4].map((n) => secretAdded(n));
      const add = { type: 'AddClientSecret', tenantId: TENANT, secretId: 's-new', secret: SECOND, expiresAt: LATER, now: T1 } as const;
      spec.given([...existing, ...four]).when(add).thenRejects('TooManyClientSecrets');
      spec.given([...existing, ...four, firstRemoved]).when(add).then([{ type: 'ClientSecretAdded', data: { ...ids, secretId: 's-new', secret: SECOND, expiresAt: LATER, addedAt: T1 } }]);
      // At T2 the first secret is past its expiry even though no ClientSecretExpired was recorded yet.
      spec.given([...existing, ...four]).when({ ...add, now: T2 }).then([{ type: 'ClientSecretAdded', data: { ...ids, secretId: 's-new', secret: SECOND, expiresAt: LATER, addedAt: T2 } }]);
    });

    it('removes a secret once; removing it again changes nothing; an unknown one is not found', () => {
      spec.given(existing).when({ type: 'RemoveClientSecret', tenantId: TENANT, secretId: 's-1', now: T1 }).then([firstRemoved]);
      spec.given([...existing, firstRemoved]).when({ type: 'RemoveClientSecret', tenantId: TENANT, secretId: 's-1', now: T1 }).thenNothing();
      spec.given(existing).when({ type: 'RemoveClientSecret', tenantId: TENANT, secretId: 'nope', now: T1 }).thenRejects('ClientSecretNotFound');
    });

    it('removes an expired secret too, so that it leaves the list', () =>
      spec.given([...existing, firstExpired]).when({ type: 'RemoveClientSecret', tenantId: TENANT, secretId: 's-1', now: LATER }).then([
        { type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: LATER } },
      ]));
  });

  describe('expiry', () => {
    it('records the expiry at or after the expiry instant, once', () => {
      spec.given(existing).when({ type: 'ExpireClientSecret', tenantId: TENANT, secretId: 's-1', now: T2 }).then([firstExpired]);
      spec.given([...existing, firstExpired]).when({ type: 'ExpireClientSecret', tenantId: TENANT, secretId: 's-1', now: LATER }).thenNothing();
    });

    it('refuses to expire a secret before its instant', () =>
      spec.given(existing).when({ type: 'ExpireClientSecret', tenantId: TENANT, secretId: 's-1', now: T1 }).thenRejects('ClientSecretNotExpired'));

    it('has nothing to expire for a removed secret or a deleted client', () => {
      spec.given([...existing, firstRemoved]).when({ type: 'ExpireClientSecret', tenantId: TENANT, secretId: 's-1', now: T2 }).thenNothing();
      spec.given([...existing, deleted]).when({ type: 'ExpireClientSecret', tenantId: TENANT, secretId: 's-1', now: T2 }).thenNothing();
    });
  });

  describe('redirect URIs', () => {
    const add = (uri: string) => ({ type: 'AddRedirectUri', tenantId: TENANT, uri, now: T1 }) as const;

    it('adds an https URI, and an http one for a loopback host', () => {
      for (const uri of ['https://app.example.com/callback', 'http://127.0.0.1:8080/cb', 'http://[::1]/cb', 'http://localhost:3000/cb?x=1']) {
        spec.given(existing).when(add(uri)).then([uriAdded(uri)]);
      }
    });

    it('keeps a URI exactly as given: a differently written one is another URI', () =>
      spec.given([...existing, uriAdded('https://app.example.com/cb')]).when(add('https://APP.example.com/cb')).then([uriAdded('https://APP.example.com/cb')]));

    it('adding the same URI again changes nothing; removing an absent one neither', () => {
      spec.given([...existing, uriAdded('https://app.example.com/cb')]).when(add('https://app.example.com/cb')).thenNothing();
      spec.given(existing).when({ type: 'RemoveRedirectUri', tenantId: TENANT, uri: 'https://app.example.com/cb', now: T1 }).thenNothing();
    });

    it('removes a URI', () =>
      spec.given([...existing, uriAdded('https://app.example.com/cb')]).when({ type: 'RemoveRedirectUri', tenantId: TENANT, uri: 'https://app.example.com/cb', now: T1 }).then([
        { type: 'RedirectUriRemoved', data: { ...ids, uri: 'https://app.example.com/cb', removedAt: T1 } },
      ]));

    it.each([
      ['http for a public host', 'http://app.example.com/cb'],
      ['a fragment', 'https://app.example.com/cb#section'],
      ['an empty fragment', 'https://app.example.com/cb#'],
      ['a relative URL', '/callback'],
      ['no scheme separator', 'https:app.example.com/cb'],
      ['no host', 'https:///cb'],
      ['user information', 'https://user:pass@app.example.com/cb'],
      ['an empty user information', 'https://@app.example.com/cb'],
      ['another scheme', 'ftp://files.example.com/cb'],
      ['a custom scheme', 'com.example.app://cb'],
      ['whitespace', ' https://app.example.com/cb'],
      ['a backslash', 'https://evil.example\\@app.example.com/cb'],
      ['a loopback look-alike', 'http://localhost.evil.example/cb'],
      ['too many characters', `https://app.example.com/${'a'.repeat(2000)}`],
      ['an empty string', ''],
    ])('refuses %s', (_name, uri) => {
      expect(redirectUriProblem(uri)).toEqual(expect.any(String));
      spec.given(existing).when(add(uri)).thenRejects('RedirectUriInvalid');
    });

    it('holds at most 20 redirect URIs', () => {
      const twenty = Array.from({ length: 20 }, (_, n) => uriAdded(`https://app.example.com/cb/${n}`));
      spec.given([...existing, ...twenty]).when(add('https://app.example.com/one-more')).thenRejects('TooManyRedirectUris');
      spec.given([...existing, ...twenty]).when(add('https://app.example.com/cb/3')).thenNothing();
    });
  });

  describe('flows', () => {
    it('records a change of settings as an event, with roles deduplicated', () =>
      spec
        .given(existing)
        .when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: { ...withClientCredentials, clientCredentialsRoles: ['member', 'member'] }, now: T1 })
        .then([{ type: 'ApiClientFlowsChanged', data: { ...ids, flows: withClientCredentials, changedAt: T1 } }]));

    it('the same settings again change nothing, whatever the order of roles', () => {
      const both: ApiClientFlows = { ...withClientCredentials, clientCredentialsRoles: ['admin', 'member'] };
      const changed: ApiClientEvent = { type: 'ApiClientFlowsChanged', data: { ...ids, flows: both, changedAt: T1 } };
      spec.given([...existing, changed]).when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: { ...both, clientCredentialsRoles: ['member', 'admin'] }, now: T1 }).thenNothing();
      spec.given(existing).when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: DEFAULT_API_CLIENT_FLOWS, now: T1 }).thenNothing();
    });

    it('changes only the settings named, keeping the others as they are', () => {
      const changed: ApiClientEvent = { type: 'ApiClientFlowsChanged', data: { ...ids, flows: withClientCredentials, changedAt: T1 } };
      spec
        .given([...existing, changed])
        .when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: { requirePkce: true }, now: T2 })
        .then([{ type: 'ApiClientFlowsChanged', data: { ...ids, flows: { ...withClientCredentials, requirePkce: true }, changedAt: T2 } }]);
      spec.given([...existing, changed]).when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: { clientCredentials: true }, now: T2 }).thenNothing();
    });

    it('refuses a role that does not exist', () =>
      spec
        .given(existing)
        .when({ type: 'ChangeApiClientFlows', tenantId: TENANT, flows: { ...withClientCredentials, clientCredentialsRoles: ['root' as 'admin'] }, now: T1 })
        .thenRejects('UnknownRole'));
  });

  describe('deletion and tenants', () => {
    it('deletes the client; afterwards it is not found', () => {
      spec.given(existing).when({ type: 'DeleteApiClient', tenantId: TENANT, now: T1 }).then([deleted]);
      spec.given([...existing, deleted]).when({ type: 'DeleteApiClient', tenantId: TENANT, now: T1 }).thenRejects('ApiClientNotFound');
      spec.given([...existing, deleted]).when({ type: 'AddClientSecret', tenantId: TENANT, secretId: 's-2', secret: SECOND, expiresAt: LATER, now: T1 }).thenRejects('ApiClientNotFound');
    });

    it('does not exist for another tenant, not even for the expiry job', () => {
      spec.given(existing).when({ type: 'RenameApiClient', tenantId: 'tenant-2', name: 'mine', now: T1 }).thenRejects('ApiClientNotFound');
      spec.given(existing).when({ type: 'ExpireClientSecret', tenantId: 'tenant-2', secretId: 's-1', now: T2 }).thenRejects('ApiClientNotFound');
      spec.given([]).when({ type: 'DeleteApiClient', tenantId: TENANT, now: T1 }).thenRejects('ApiClientNotFound');
    });
  });

  describe('secret lifetimes and expiry', () => {
    it('defaults to six months, lowered to the maximum in force; a request above it is refused, naming whose maximum', () => {
      expect(clientSecretLifetime(undefined, { serviceMaxDays: 730, tenantMaxDays: null })).toEqual({ outcome: 'accepted', days: 180 });
      expect(clientSecretLifetime(undefined, { serviceMaxDays: 730, tenantMaxDays: 30 })).toEqual({ outcome: 'accepted', days: 30 });
      expect(clientSecretLifetime(undefined, { serviceMaxDays: 90, tenantMaxDays: null })).toEqual({ outcome: 'accepted', days: 90 });
      expect(clientSecretLifetime(30, { serviceMaxDays: 730, tenantMaxDays: 30 })).toEqual({ outcome: 'accepted', days: 30 });
      expect(clientSecretLifetime(31, { serviceMaxDays: 730, tenantMaxDays: 30 })).toEqual({ outcome: 'rejected', maxDays: 30, maximum: 'tenant' });
      expect(clientSecretLifetime(731, { serviceMaxDays: 730, tenantMaxDays: null })).toEqual({ outcome: 'rejected', maxDays: 730, maximum: 'service' });
      // A tenant maximum above the service's (the service's was lowered since) does not raise it.
      expect(clientSecretLifetime(400, { serviceMaxDays: 365, tenantMaxDays: 500 })).toEqual({ outcome: 'rejected', maxDays: 365, maximum: 'service' });
    });

    it('counts an active secret as expired from its expiry instant, before the expiry job records it', () => {
      expect(clientSecretStatusAt({ status: 'active', expiresAt: T2 }, T1)).toBe('active');
      expect(clientSecretStatusAt({ status: 'active', expiresAt: T2 }, T2)).toBe('expired');
      expect(clientSecretStatusAt({ status: 'removed', expiresAt: T2 }, LATER)).toBe('removed');
    });
  });
});
