import { fold } from '../shared/decider';
import { deciderSpec } from '../testing/decider-spec';
import { EncryptedSecret } from '../connections/connections';
import {
  ActivateIntegration,
  CreateIntegration,
  ExchangeIntegrationRequestToken,
  IntegrationActivationStarted,
  IntegrationRequestTokenIssued,
  REQUEST_TOKEN_TTL_MS,
  HashedSecret,
  IntegrationActivated,
  IntegrationCreated,
  integrationsDecider,
  MAX_INTEGRATIONS_PER_TENANT,
} from './integrations';
import { INTEGRATION_RESOURCES, integrationPermissions } from './resources';

const TENANT = 'tenant-1';
const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-01T10:00:00.000Z';
const hashed = (n: number): HashedSecret => ({ hash: `hash${n}`, hashKeyId: 'k1', hint: `kh_x_…${n}` });
const sealedSecret = (n: number): EncryptedSecret => ({ alg: 'A256GCM', keyId: 'dk-1', iv: `iv${n}`, ciphertext: `ct${n}`, tag: `tag${n}` });

const create: CreateIntegration = {
  type: 'CreateIntegration',
  tenantId: TENANT,
  integrationId: 'int-1',
  name: 'ERP sync',
  email: 'ops@erp.example',
  callbackUrl: 'https://erp.example/callback',
  identityLinkUrl: 'https://erp.example/login',
  resourceAccess: 'custom',
  resources: ['tokens.read', 'tokens.read'],
  createdBy: 'admin',
  now: T0,
};
const created: IntegrationCreated = {
  type: 'IntegrationCreated',
  data: {
    tenantId: TENANT,
    integrationId: 'int-1',
    name: 'ERP sync',
    email: 'ops@erp.example',
    callbackUrl: 'https://erp.example/callback',
    identityLinkUrl: 'https://erp.example/login',
    insecure: false,
    resourceAccess: 'custom',
    resources: ['tokens.read'],
    createdAt: T0,
    createdBy: 'admin',
  },
};
const activate: ActivateIntegration = {
  type: 'ActivateIntegration',
  integrationId: 'int-1',
  consumerKey: hashed(1),
  consumerSecret: hashed(2),
  accessToken: { ...hashed(3), id: 'at-1' },
  accessTokenSecret: hashed(4),
  sealed: { dataKeyId: 'dk-1', consumerSecret: sealedSecret(2), accessTokenSecret: sealedSecret(4) },
  verifier: hashed(7),
  returnState: hashed(8),
  activatedBy: 'admin',
  now: T1,
};
const activated: IntegrationActivated = {
  type: 'IntegrationActivated',
  data: {
    tenantId: TENANT,
    integrationId: 'int-1',
    consumerKey: hashed(1),
    consumerSecret: hashed(2),
    accessToken: { ...hashed(3), id: 'at-1' },
    accessTokenSecret: hashed(4),
    sealed: { dataKeyId: 'dk-1', consumerSecret: sealedSecret(2), accessTokenSecret: sealedSecret(4) },
    via: 'admin',
    activatedAt: T1,
    activatedBy: 'admin',
  },
};
const reauthorize = {
  type: 'ReauthorizeIntegration',
  integrationId: 'int-1',
  accessToken: { ...hashed(5), id: 'at-2' },
  accessTokenSecret: hashed(6),
  sealedAccessTokenSecret: sealedSecret(6),
  reauthorizedBy: 'admin',
  now: T1,
} as const;
const remove = { type: 'DeleteIntegration', integrationId: 'int-1', deletedBy: 'admin', now: T1 } as const;

const spec = deciderSpec(integrationsDecider);

describe('integrations decider', () => {
  describe('CreateIntegration', () => {
    it('saves the integration inactive, with its resources deduplicated', () => {
      spec.given([]).when(create).then([created]);
      const state = fold(integrationsDecider, [created]);
      expect(state.integrations.get('int-1')?.status).toBe('inactive');
    });

    it.each<[string | null, string | null, boolean]>([
      ['http://erp.example/callback', 'https://erp.example/login', true],
      ['https://erp.example/callback', 'http://erp.example/login', true],
      ['https://erp.example/callback', null, false],
      [null, null, false],
    ])('flags callback %s and identity link %s insecure: %s', (callbackUrl, identityLinkUrl, insecure) => {
      const decision = integrationsDecider.decide({ ...create, callbackUrl, identityLinkUrl }, integrationsDecider.initialState());
      expect(decision).toMatchObject({ outcome: 'accepted', events: [{ data: { insecure } }] });
    });

    it('refuses URLs that are not absolute http(s) URLs without credentials', () => {
      for (const url of ['not a url', 'ftp://erp.example/x', 'javascript:alert(1)', 'https://user:pw@erp.example/x', '/relative']) {
        spec.given([]).when({ ...create, callbackUrl: url }).thenRejects('InvalidUrl');
      }
    });

    it('refuses unknown resources and mismatched access', () => {
      spec.given([]).when({ ...create, resources: ['tokens.read', 'orders.delete'] }).thenRejects('UnknownResource');
      spec.given([]).when({ ...create, resources: [] }).thenRejects('ResourcesMismatch');
      spec.given([]).when({ ...create, resourceAccess: 'all' }).thenRejects('ResourcesMismatch');
      spec.given([]).when({ ...create, resourceAccess: 'all', resources: [] }).then([
        { ...created, data: { ...created.data, resourceAccess: 'all', resources: [] } },
      ]);
    });

    it('keeps names unique among the tenant’s integrations that are not deleted', () => {
      spec.given([created]).when({ ...create, integrationId: 'int-2', name: '  erp SYNC ' }).thenRejects('IntegrationNameTaken');
      spec
        .given([created, { type: 'IntegrationDeleted', data: { tenantId: TENANT, integrationId: 'int-1', revokedAccessTokenId: null, deletedAt: T1, deletedBy: 'admin' } }])
        .when({ ...create, integrationId: 'int-2' })
        .then([{ ...created, data: { ...created.data, integrationId: 'int-2' } }]);
    });

    it(`allows at most ${MAX_INTEGRATIONS_PER_TENANT} integrations per tenant`, () => {
      const many = Array.from({ length: MAX_INTEGRATIONS_PER_TENANT }, (_, n): IntegrationCreated => ({
        ...created,
        data: { ...created.data, integrationId: `int-${n}`, name: `n${n}` },
      }));
      spec.given(many).when({ ...create, integrationId: 'one-more', name: 'one more' }).thenRejects('TooManyIntegrations');
    });
  });

  describe('ActivateIntegration', () => {
    it('activates an inactive integration without a callback URL with the hashes of its four secrets', () => {
      const withoutCallback = { ...created, data: { ...created.data, callbackUrl: null } };
      spec.given([withoutCallback]).when(activate).then([activated]);
    });

    it('refuses to activate twice, or what does not exist or was deleted', () => {
      spec.given([created, activated]).when(activate).thenRejects('IntegrationAlreadyActive');
      spec.given([]).when(activate).thenRejects('IntegrationNotFound');
      spec.given([created]).when({ ...activate, integrationId: 'other' }).thenRejects('IntegrationNotFound');
      spec
        .given([created, { type: 'IntegrationDeleted', data: { tenantId: TENANT, integrationId: 'int-1', revokedAccessTokenId: null, deletedAt: T1, deletedBy: 'a' } }])
        .when(activate)
        .thenRejects('IntegrationDeleted');
    });
  });

  describe('ReauthorizeIntegration', () => {
    it('replaces the access token, naming the one that stops working', () => {
      spec.given([created, activated]).when(reauthorize).then([
        {
          type: 'IntegrationReauthorized',
          data: {
            tenantId: TENANT,
            integrationId: 'int-1',
            accessToken: { ...hashed(5), id: 'at-2' },
            accessTokenSecret: hashed(6),
            sealedAccessTokenSecret: sealedSecret(6),
            previousAccessTokenId: 'at-1',
            reauthorizedAt: T1,
            reauthorizedBy: 'admin',
          },
        },
      ]);
    });

    it('refuses to reauthorize an inactive integration', () => {
      spec.given([created]).when(reauthorize).thenRejects('IntegrationNotActive');
    });
  });

  describe('the OAuth 1.0a handshake (integration with a callback URL)', () => {
    const T2 = '2026-03-01T10:05:00.000Z';
    const started: IntegrationActivationStarted = {
      type: 'IntegrationActivationStarted',
      data: {
        tenantId: TENANT,
        integrationId: 'int-1',
        consumerKey: hashed(1),
        consumerSecret: hashed(2),
        sealedConsumerSecret: sealedSecret(2),
        dataKeyId: 'dk-1',
        verifier: hashed(7),
        returnState: hashed(8),
        startedAt: T1,
        startedBy: 'admin',
      },
    };
    const requestTokenIssued: IntegrationRequestTokenIssued = {
      type: 'IntegrationRequestTokenIssued',
      data: {
        tenantId: TENANT,
        integrationId: 'int-1',
        requestToken: { ...hashed(9), id: 'rt-1' },
        sealedRequestTokenSecret: sealedSecret(10),
        issuedAt: T1,
        expiresAt: new Date(Date.parse(T1) + REQUEST_TOKEN_TTL_MS).toISOString(),
      },
    };
    const exchange: ExchangeIntegrationRequestToken = {
      type: 'ExchangeIntegrationRequestToken',
      integrationId: 'int-1',
      requestTokenId: 'rt-1',
      verifier: [{ hash: 'old key hash', keyId: 'k0' }, { hash: 'hash7', keyId: 'k1' }],
      accessToken: { ...hashed(3), id: 'at-1' },
      accessTokenSecret: hashed(4),
      sealedAccessTokenSecret: sealedSecret(4),
      now: T2,
    };

    it('starts the handshake instead of issuing the access token; the integration is activating', () => {
      spec.given([created]).when(activate).then([started]);
      expect(fold(integrationsDecider, [created, started]).integrations.get('int-1')?.status).toBe('activating');
      // A handshake that never finished may be started over.
      spec.given([created, started]).when(activate).then([started]);
    });

    it('records the callback outcome, never what was sent', () => {
      spec
        .given([created, started])
        .when({ type: 'RecordIntegrationCallback', integrationId: 'int-1', host: 'erp.example', attempts: 3, outcome: { delivered: false, reason: 'Answered 503.' }, now: T1 })
        .then([{ type: 'IntegrationCallbackFailed', data: { tenantId: TENANT, integrationId: 'int-1', host: 'erp.example', attempts: 3, reason: 'Answered 503.', failedAt: T1 } }]);
    });

    it('issues a request token only while activating', () => {
      const issue = { type: 'IssueIntegrationRequestToken', integrationId: 'int-1', requestToken: { ...hashed(9), id: 'rt-1' }, sealedRequestTokenSecret: sealedSecret(10), now: T1 } as const;
      spec.given([created, started]).when(issue).then([requestTokenIssued]);
      spec.given([created]).when(issue).thenRejects('IntegrationNotActivating');
      spec.given([created, activated]).when(issue).thenRejects('IntegrationNotActivating');
    });

    it('exchanges the request token and the verifier for the access token: active, signing secrets sealed', () => {
      spec
        .given([created, started, requestTokenIssued])
        .when(exchange)
        .then([{ ...activated, data: { ...activated.data, via: 'handshake', activatedAt: T2, activatedBy: 'integration:int-1' } }]);
    });

    it('refuses a wrong verifier, an unknown or expired request token, and a second exchange', () => {
      spec.given([created, started, requestTokenIssued]).when({ ...exchange, verifier: [{ hash: 'hash8', keyId: 'k1' }] }).thenRejects('VerifierInvalid');
      spec.given([created, started, requestTokenIssued]).when({ ...exchange, requestTokenId: 'rt-2' }).thenRejects('RequestTokenInvalid');
      spec.given([created, started]).when(exchange).thenRejects('RequestTokenInvalid');
      spec.given([created, started, requestTokenIssued]).when({ ...exchange, now: requestTokenIssued.data.expiresAt }).thenRejects('RequestTokenInvalid');
      const done = integrationsDecider.decide(exchange, fold(integrationsDecider, [created, started, requestTokenIssued]));
      if (done.outcome !== 'accepted') throw new Error('expected the exchange to be accepted');
      spec.given([created, started, requestTokenIssued, ...done.events]).when(exchange).thenRejects('IntegrationNotActivating');
    });

    it('confirms once the admin comes back with the return state, after the access token was issued', () => {
      const confirm = { type: 'ConfirmIntegrationActivation', integrationId: 'int-1', returnState: [{ hash: 'hash8', keyId: 'k1' }], now: T2 } as const;
      const done = integrationsDecider.decide(exchange, fold(integrationsDecider, [created, started, requestTokenIssued]));
      if (done.outcome !== 'accepted') throw new Error('expected the exchange to be accepted');
      const history = [created, started, requestTokenIssued, ...done.events];
      const confirmed = { type: 'IntegrationActivationConfirmed', data: { tenantId: TENANT, integrationId: 'int-1', confirmedAt: T2 } } as const;
      spec.given(history).when(confirm).then([confirmed]);
      spec.given([...history, confirmed]).when(confirm).thenNothing();
      spec.given(history).when({ ...confirm, returnState: [{ hash: 'hash7', keyId: 'k1' }] }).thenRejects('ReturnStateInvalid');
      spec.given([created, started, requestTokenIssued]).when(confirm).thenRejects('IntegrationNotActive');
      // Activated by the admin (no handshake): there is nothing to confirm.
      spec.given([created, activated]).when(confirm).thenRejects('ReturnStateInvalid');
    });
  });

  describe('DeleteIntegration', () => {
    it('deletes, revoking the live access token; again is a no-op', () => {
      const deletion = {
        type: 'IntegrationDeleted',
        data: { tenantId: TENANT, integrationId: 'int-1', revokedAccessTokenId: 'at-1', deletedAt: T1, deletedBy: 'admin' },
      } as const;
      spec.given([created, activated]).when(remove).then([deletion]);
      spec.given([created, activated, deletion]).when(remove).thenNothing();
      spec.given([]).when(remove).thenRejects('IntegrationNotFound');
    });
  });
});

describe('integration resources', () => {
  it('grants the permissions of the chosen resources only', () => {
    expect([...integrationPermissions('custom', ['users.read'])]).toEqual(['users:read']);
    expect([...integrationPermissions('custom', ['connections.use'])].sort()).toEqual(['connections:read', 'connections:use']);
    expect(integrationPermissions('custom', ['unknown']).size).toBe(0);
  });

  it('grants every resource of the catalogue for access all, and nothing outside it', () => {
    const all = integrationPermissions('all', []);
    for (const resource of Object.values(INTEGRATION_RESOURCES)) for (const p of resource.permissions) expect(all.has(p)).toBe(true);
    for (const p of ['users:write', 'tokens:write', 'connections:write', 'integrations:write', 'settings:write'] as const) expect(all.has(p)).toBe(false);
  });
});
