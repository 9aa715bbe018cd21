import { fold } from '../shared/decider';
import { deciderSpec } from '../testing/decider-spec';
import {
  ConnectionCreated,
  ConnectionEvent,
  connectionDecider,
  CreateConnection,
  EncryptedSecret,
  secretFieldsSet,
  UpdateConnection,
} from './connections';
import { isDomainAllowed, isValidDomainPattern } from './domains';

const TENANT = 'tenant-1';
const ID = 'conn-1';
const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-01T10:00:00.000Z';
const sealed = (n: number): EncryptedSecret => ({ alg: 'A256GCM', keyId: 'dk-1', iv: `iv${n}`, ciphertext: `ct${n}`, tag: `tag${n}` });

const createApiKey: CreateConnection = {
  type: 'CreateConnection',
  tenantId: TENANT,
  connectionId: ID,
  name: 'Slack alerts',
  service: 'slack',
  allowedDomains: ['Slack.com', '*.slack.com', 'slack.com'],
  credential: { type: 'api_key', headerName: 'X-Api-Key' },
  secrets: { apiKey: sealed(1) },
  dataKeyId: 'dk-1',
  createdBy: 'admin',
  now: T0,
};
const apiKeyCreated: ConnectionCreated = {
  type: 'ConnectionCreated',
  data: {
    tenantId: TENANT,
    connectionId: ID,
    name: 'Slack alerts',
    service: 'slack',
    allowedDomains: ['slack.com', '*.slack.com'],
    credential: { type: 'api_key', headerName: 'X-Api-Key' },
    secrets: { apiKey: sealed(1) },
    dataKeyId: 'dk-1',
    createdAt: T0,
    createdBy: 'admin',
  },
};
const oauthCreated: ConnectionCreated = {
  type: 'ConnectionCreated',
  data: {
    ...apiKeyCreated.data,
    service: 'shopify',
    allowedDomains: ['*.myshopify.com', 'accounts.shopify.com'],
    credential: { type: 'oauth2', clientId: 'client-1', tokenUrl: 'https://accounts.shopify.com/oauth/token', scopes: ['read_orders'] },
    secrets: { clientSecret: sealed(2), refreshToken: sealed(3) },
  },
};
const deleted: ConnectionEvent = {
  type: 'ConnectionDeleted',
  data: { tenantId: TENANT, connectionId: ID, dataKeyId: 'dk-1', deletedAt: T1, deletedBy: 'admin' },
};
const update = (patch: Partial<UpdateConnection>): UpdateConnection => ({
  type: 'UpdateConnection',
  tenantId: TENANT,
  connectionId: ID,
  secrets: {},
  updatedBy: 'admin',
  now: T1,
  ...patch,
});

const spec = deciderSpec(connectionDecider);

describe('connection decider', () => {
  describe('CreateConnection', () => {
    it('creates the connection with normalized, deduplicated domains and only sealed secrets', () => {
      spec.given([]).when(createApiKey).then([apiKeyCreated]);
    });

    it('refuses to create it twice', () => {
      spec.given([apiKeyCreated]).when(createApiKey).thenRejects('ConnectionExists');
    });

    it('needs at least one allowed domain', () => {
      spec.given([]).when({ ...createApiKey, allowedDomains: [] }).thenRejects('NoAllowedDomains');
    });

    it.each<[string, CreateConnection['credential'], CreateConnection['secrets']]>([
      ['api_key without its key', { type: 'api_key', headerName: 'X-Key' }, {}],
      ['basic_auth without its password', { type: 'basic_auth' }, { username: sealed(1) }],
      ['bearer_token without its token', { type: 'bearer_token' }, {}],
      ['oauth2 without its client secret', { type: 'oauth2', clientId: 'c', tokenUrl: 'https://slack.com/token', scopes: [] }, {}],
    ])('refuses %s', (_case, credential, secrets) => {
      spec.given([]).when({ ...createApiKey, credential, secrets }).thenRejects('SecretMissing');
    });

    it("refuses a secret the type does not have (a bearer token's password)", () => {
      spec
        .given([])
        .when({ ...createApiKey, credential: { type: 'bearer_token' }, secrets: { token: sealed(1), password: sealed(2) } })
        .thenRejects('FieldNotApplicable');
    });

    it('refuses an OAuth token URL outside the allowed domains (the client secret goes there)', () => {
      spec
        .given([])
        .when({
          ...createApiKey,
          credential: { type: 'oauth2', clientId: 'c', tokenUrl: 'https://evil.example/token', scopes: [] },
          secrets: { clientSecret: sealed(1) },
        })
        .thenRejects('TokenUrlNotAllowed');
    });
  });

  describe('UpdateConnection', () => {
    it('changes the non-secret fields and replaces a secret without the others', () => {
      spec
        .given([apiKeyCreated])
        .when(update({ name: 'Slack', credential: { headerName: 'Authorization' }, secrets: { apiKey: sealed(9) } }))
        .then([
          {
            type: 'ConnectionUpdated',
            data: {
              tenantId: TENANT,
              connectionId: ID,
              changes: { name: 'Slack', credential: { type: 'api_key', headerName: 'Authorization' } },
              replacedSecrets: { apiKey: sealed(9) },
              changedFields: ['name', 'headerName', 'apiKey'],
              updatedAt: T1,
              updatedBy: 'admin',
            },
          },
        ]);
    });

    it('keeps the secrets not sent', () => {
      const state = fold(connectionDecider, [
        oauthCreated,
        { type: 'ConnectionUpdated', data: { tenantId: TENANT, connectionId: ID, changes: {}, replacedSecrets: { clientSecret: sealed(7) }, changedFields: ['clientSecret'], updatedAt: T1, updatedBy: 'admin' } },
      ]);
      expect(state.status === 'active' && state.secrets).toEqual({ clientSecret: sealed(7), refreshToken: sealed(3) });
    });

    it('does nothing when nothing changes', () => {
      spec.given([apiKeyCreated]).when(update({ name: 'Slack alerts', allowedDomains: ['slack.com', '*.slack.com'] })).thenNothing();
    });

    it('refuses to change the credential type', () => {
      spec.given([apiKeyCreated]).when(update({ credential: { type: 'bearer_token' } })).thenRejects('CredentialTypeImmutable');
    });

    it("refuses settings or secrets of another type (an api key's client id)", () => {
      spec.given([apiKeyCreated]).when(update({ credential: { clientId: 'x' } })).thenRejects('FieldNotApplicable');
      spec.given([apiKeyCreated]).when(update({ secrets: { password: sealed(4) } })).thenRejects('FieldNotApplicable');
    });

    it('lets an OAuth client change only its client id and secret', () => {
      spec
        .given([oauthCreated])
        .when(update({ credential: { clientId: 'client-2' }, secrets: { clientSecret: sealed(8) } }))
        .then([
          {
            type: 'ConnectionUpdated',
            data: {
              tenantId: TENANT,
              connectionId: ID,
              changes: { credential: { ...(oauthCreated.data.credential as object), clientId: 'client-2' } as ConnectionCreated['data']['credential'] },
              replacedSecrets: { clientSecret: sealed(8) },
              changedFields: ['clientId', 'clientSecret'],
              updatedAt: T1,
              updatedBy: 'admin',
            },
          },
        ]);
      spec.given([oauthCreated]).when(update({ credential: { tokenUrl: 'https://accounts.shopify.com/other' } })).thenRejects('OAuthClientFieldImmutable');
      spec.given([oauthCreated]).when(update({ credential: { scopes: ['write_orders'] } })).thenRejects('OAuthClientFieldImmutable');
      // Repeating the same token URL and scopes is not a change.
      spec
        .given([oauthCreated])
        .when(update({ credential: { type: 'oauth2', tokenUrl: 'https://accounts.shopify.com/oauth/token', scopes: ['read_orders'] } }))
        .thenNothing();
    });

    it('refuses allowed domains that would leave the token URL outside', () => {
      spec.given([oauthCreated]).when(update({ allowedDomains: ['*.myshopify.com'] })).thenRejects('TokenUrlNotAllowed');
    });

    it('refuses to edit a deleted connection, and hides another tenant’s', () => {
      spec.given([apiKeyCreated, deleted]).when(update({ name: 'again' })).thenRejects('ConnectionDeleted');
      spec.given([apiKeyCreated]).when(update({ tenantId: 'other', name: 'x' })).thenRejects('ConnectionNotFound');
      spec.given([]).when(update({ name: 'x' })).thenRejects('ConnectionNotFound');
    });
  });

  describe('DeleteConnection', () => {
    const remove = { type: 'DeleteConnection', tenantId: TENANT, connectionId: ID, deletedBy: 'admin', now: T1 } as const;

    it('deletes, naming the data key to destroy, and keeps no secret in the state', () => {
      spec.given([apiKeyCreated]).when(remove).then([deleted]);
      const state = fold(connectionDecider, [apiKeyCreated, deleted]);
      expect(state).toEqual({ status: 'deleted', tenantId: TENANT, connectionId: ID, dataKeyId: 'dk-1', deletedAt: T1 });
    });

    it('is idempotent and final', () => {
      spec.given([apiKeyCreated, deleted]).when(remove).thenNothing();
      spec.given([]).when(remove).thenRejects('ConnectionNotFound');
    });
  });

  describe('UseConnectionCredential', () => {
    const use = (targetDomain: string) =>
      ({
        type: 'UseConnectionCredential',
        tenantId: TENANT,
        connectionId: ID,
        targetDomain,
        accessedBy: 'svc-1',
        actorKind: 'user',
        credentialId: 'tok-1',
        now: T1,
      }) as const;

    it('records who accessed the credential, when, and for which domain', () => {
      spec
        .given([apiKeyCreated])
        .when(use('Hooks.Slack.com'))
        .then([
          {
            type: 'ConnectionCredentialAccessed',
            data: { tenantId: TENANT, connectionId: ID, accessedBy: 'svc-1', actorKind: 'user', credentialId: 'tok-1', targetDomain: 'hooks.slack.com', accessedAt: T1 },
          },
        ]);
    });

    it('refuses a domain that is not allowed, and a deleted connection', () => {
      spec.given([apiKeyCreated]).when(use('slack.com.evil.example')).thenRejects('DomainNotAllowed');
      spec.given([apiKeyCreated]).when(use('notslack.com')).thenRejects('DomainNotAllowed');
      spec.given([apiKeyCreated, deleted]).when(use('slack.com')).thenRejects('ConnectionDeleted');
    });
  });

  it('names the secret fields set, never their values', () => {
    expect(secretFieldsSet({ refreshToken: sealed(1), clientSecret: sealed(2) })).toEqual(['clientSecret', 'refreshToken']);
  });
});

describe('allowed domains', () => {
  it.each([
    [['api.slack.com'], 'api.slack.com', true],
    [['api.slack.com'], 'API.Slack.com.', true],
    [['api.slack.com'], 'slack.com', false],
    [['*.myshopify.com'], 'acme.myshopify.com', true],
    [['*.myshopify.com'], 'a.b.myshopify.com', true],
    [['*.myshopify.com'], 'myshopify.com', false],
    [['*.myshopify.com'], 'evilmyshopify.com', false],
    [['slack.com'], 'slack.com.evil.example', false],
    [['slack.com'], 'not a host', false],
  ] as const)('%j allows %s: %s', (allowed, target, expected) => {
    expect(isDomainAllowed(allowed, target)).toBe(expected);
  });

  it.each(['slack.com', '*.slack.com', 'a-b.c.example', 'API.Example.COM'])('accepts the pattern %s', (pattern) => {
    expect(isValidDomainPattern(pattern)).toBe(true);
  });

  it.each(['localhost', '*.com', '*', 'http://slack.com', 'slack.com/path', 'sl ack.com', '-a.com', 'a..com', '*.*.com', 'slack.com:443'])(
    'refuses the pattern %s',
    (pattern) => {
      expect(isValidDomainPattern(pattern)).toBe(false);
    },
  );
});
