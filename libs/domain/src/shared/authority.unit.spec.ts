import { apiClientAuthorityNeeds, apiClientDecider, ApiClientState, DEFAULT_API_CLIENT_FLOWS } from '../api-clients/api-clients';
import { CONNECTION_AUTHORITY, connectionAuthorityNeeds, connectionDecider } from '../connections/connections';
import { integrationAuthorityNeeds, integrationsDecider, IntegrationsState } from '../integrations/integrations';
import { personalTokenAuthorityNeeds, personalTokensDecider } from '../personal-tokens/personal-tokens';
import { serviceAccountAuthorityNeeds, serviceAccountDecider, ServiceAccountState } from '../service-accounts/service-accounts';
import { tenancyAuthorityNeeds, tenancyDecider, TenancyState } from '../tenancy/tenancy';
import { Caller, exceededAuthority, OPERATOR, withAuthority } from './authority';
import { accept, Decider, fold } from './decider';
import { Permission, PERMISSIONS, ROLE_PERMISSIONS } from './permissions';

const T0 = '2026-01-01T00:00:00.000Z';
const ALL = Object.keys(PERMISSIONS) as Permission[];
const sorted = (permissions: Iterable<Permission>) => [...new Set(permissions)].sort();
const caller = (...permissions: Permission[]): Caller => ({ kind: 'service_account', permissions: new Set(permissions) });

/** The state a decider reaches from its initial state through commands it accepts. */
const after = <S, C, E, R>(decider: Decider<S, C, E, R>, commands: C[]): S =>
  commands.reduce((state, command) => {
    const decision = decider.decide(command, state);
    if (decision.outcome !== 'accepted') throw new Error(`setup command refused: ${JSON.stringify(decision.rejection)}`);
    return fold({ initialState: () => state, evolve: decider.evolve }, decision.events);
  }, decider.initialState());

describe('exceededAuthority', () => {
  it('accepts a caller holding every permission needed, and needing nothing', () => {
    expect(exceededAuthority(new Set(['clients:write', 'users:write']), ['users:write'])).toBeNull();
    expect(exceededAuthority(new Set(), [])).toBeNull();
  });

  it('names every missing permission once, sorted, in the message and as a list', () => {
    const refusal = exceededAuthority(new Set(['clients:write']), ['users:write', 'clients:write', 'connections:use', 'users:write']);
    expect(refusal).toEqual({ code: 'AuthorityExceeded', message: expect.any(String), missing: ['connections:use', 'users:write'] });
    expect(refusal?.message).toContain("'connections:use', 'users:write'");
  });

  it('lets the operator do anything', () => {
    expect(exceededAuthority(OPERATOR.permissions, ALL)).toBeNull();
  });
});

describe('withAuthority', () => {
  type Counter = { count: number; cap: Permission[] };
  const counter: Decider<Counter, { type: 'Raise'; to: Permission[] }, { type: 'Raised'; to: Permission[] }, never> = {
    initialState: () => ({ count: 0, cap: ['tokens:read'] }),
    decide: (command) => accept({ type: 'Raised', to: command.to }),
    evolve: (state, event) => ({ count: state.count + 1, cap: event.to }),
  };
  const needs = (command: { to: Permission[] }, state: Counter) => [...state.cap, ...command.to];

  it('decides as the decider does when the caller holds what the credential has and gains', () => {
    const decision = withAuthority(counter, caller('tokens:read', 'users:read'), needs).decide({ type: 'Raise', to: ['users:read'] }, counter.initialState());
    expect(decision).toEqual({ outcome: 'accepted', events: [{ type: 'Raised', to: ['users:read'] }] });
  });

  it('refuses before deciding, counting what the credential already has', () => {
    const decision = withAuthority(counter, caller('users:read'), needs).decide({ type: 'Raise', to: ['users:read'] }, counter.initialState());
    expect(decision).toEqual({ outcome: 'rejected', rejection: expect.objectContaining({ code: 'AuthorityExceeded', missing: ['tokens:read'] }) });
  });

  it('keeps the decider’s state functions', () => {
    const guarded = withAuthority(counter, caller(), needs);
    expect(guarded.initialState()).toEqual(counter.initialState());
    expect(guarded.evolve).toBe(counter.evolve);
  });
});

describe('what a credential has or would gain', () => {
  const secret = { secretHash: 'h', hashKeyId: 'k', hint: 'x' };

  it('API client: a new secret or redirect URI needs its roles, new flows their roles too; narrowing needs nothing', () => {
    const ids = { tenantId: 't', now: T0 };
    const client: ApiClientState = after(apiClientDecider, [
      { type: 'CreateApiClient', ...ids, clientId: 'c', name: 'n', secretId: 's1', secret, secretExpiresAt: '2027-01-01T00:00:00.000Z' },
      { type: 'ChangeApiClientFlows', ...ids, flows: { ...DEFAULT_API_CLIENT_FLOWS, clientCredentials: false, clientCredentialsRoles: ['member'] } },
    ]);
    const member = sorted(ROLE_PERMISSIONS.member);
    expect(sorted(apiClientAuthorityNeeds({ type: 'AddClientSecret', ...ids, secretId: 's2', secret, expiresAt: '2027-01-01T00:00:00.000Z' }, client))).toEqual(member);
    expect(sorted(apiClientAuthorityNeeds({ type: 'AddRedirectUri', ...ids, uri: 'https://a.example/cb' }, client))).toEqual(member);
    const toAuditor = { ...DEFAULT_API_CLIENT_FLOWS, clientCredentials: true, clientCredentialsRoles: ['auditor' as const] };
    expect(sorted(apiClientAuthorityNeeds({ type: 'ChangeApiClientFlows', ...ids, flows: toAuditor }, client))).toEqual(sorted([...member, ...ROLE_PERMISSIONS.auditor]));
    expect([...apiClientAuthorityNeeds({ type: 'RemoveClientSecret', ...ids, secretId: 's1' }, client)]).toEqual([]);
    expect([...apiClientAuthorityNeeds({ type: 'DeleteApiClient', ...ids }, client)]).toEqual([]);
  });

  it('service account: a grant adds to what it has; a reset or a signing key hands out all it has', () => {
    const ids = { tenantId: 't', now: T0 };
    const account: ServiceAccountState = after(serviceAccountDecider, [
      { type: 'CreateServiceAccount', ...ids, accountId: 'a', name: 'n', secret, sunsetAt: null },
      { type: 'GrantServiceAccountPermission', ...ids, permission: 'connections:use' },
    ]);
    expect(sorted(serviceAccountAuthorityNeeds({ type: 'GrantServiceAccountPermission', ...ids, permission: 'users:read' }, account))).toEqual(['connections:use', 'users:read']);
    expect(sorted(serviceAccountAuthorityNeeds({ type: 'ResetClientSecret', ...ids, secret }, account))).toEqual(['connections:use']);
    const key = { type: 'RegisterCommandSigningKey' as const, ...ids, publicKey: { kty: 'OKP' as const, crv: 'Ed25519' as const, x: 'x' }, thumbprint: 'tp' };
    expect(sorted(serviceAccountAuthorityNeeds(key, account))).toEqual(['connections:use']);
    expect([...serviceAccountAuthorityNeeds({ type: 'RemoveServiceAccountPermission', ...ids, permission: 'connections:use' }, account)]).toEqual([]);
  });

  it("users: a new user needs their role's permissions; a role change both the old role's and the new one's", () => {
    const tenancy: TenancyState = after(tenancyDecider, [
      { type: 'CreateTenant', tenantId: 't', slug: 's', name: 'n', firstAdmin: { userId: 'u1', email: 'a@x.test' }, now: T0 },
      { type: 'AddUser', userId: 'u2', email: 'm@x.test', role: 'member', now: T0 },
    ]);
    expect(sorted(tenancyAuthorityNeeds({ type: 'AddUser', userId: 'u3', email: 'b@x.test', role: 'auditor', now: T0 }, tenancy))).toEqual(sorted(ROLE_PERMISSIONS.auditor));
    expect(sorted(tenancyAuthorityNeeds({ type: 'ChangeUserRole', userId: 'u2', role: 'auditor', now: T0 }, tenancy))).toEqual(['history:read', 'tokens:read', 'tokens:write']);
    expect(sorted(tenancyAuthorityNeeds({ type: 'ChangeUserRole', userId: 'u1', role: 'member', now: T0 }, tenancy))).toEqual(sorted(ALL));
  });

  it("integrations: creating, activating and reauthorizing need the integration's resources", () => {
    const integrations: IntegrationsState = after(integrationsDecider, [
      { type: 'CreateIntegration', tenantId: 't', integrationId: 'i', name: 'n', email: 'e@x.test', callbackUrl: null, identityLinkUrl: null, resourceAccess: 'custom', resources: ['connections.use'], createdBy: 'u', now: T0 },
    ]);
    const hashed = { hash: 'h', hashKeyId: 'k', hint: 'x' };
    const sealedSecret = { alg: 'A256GCM' as const, keyId: 'k', iv: 'i', ciphertext: 'c', tag: 't' };
    const sealed = { dataKeyId: 'd', consumerSecret: sealedSecret, accessTokenSecret: sealedSecret };
    const activate = {
      type: 'ActivateIntegration' as const,
      integrationId: 'i',
      consumerKey: hashed,
      consumerSecret: hashed,
      accessToken: { ...hashed, id: 'a' },
      accessTokenSecret: hashed,
      sealed,
      verifier: hashed,
      returnState: hashed,
      activatedBy: 'u',
      now: T0,
    };
    expect(sorted(integrationAuthorityNeeds(activate, integrations))).toEqual(['connections:read', 'connections:use']);
    expect(sorted(integrationAuthorityNeeds({ type: 'ReauthorizeIntegration', integrationId: 'i', accessToken: { ...hashed, id: 'b' }, accessTokenSecret: hashed, sealedAccessTokenSecret: sealedSecret, reauthorizedBy: 'u', now: T0 }, integrations))).toEqual(['connections:read', 'connections:use']);
    const all = { type: 'CreateIntegration' as const, tenantId: 't', integrationId: 'j', name: 'm', email: 'e@x.test', callbackUrl: null, identityLinkUrl: null, resourceAccess: 'all' as const, resources: [], createdBy: 'u', now: T0 };
    expect(sorted(integrationAuthorityNeeds(all, integrations))).toEqual(expect.arrayContaining(['connections:use', 'tokens:revoke_all', 'users:read']));
  });

  it('connections: setting and obtaining a credential need connections:use, deleting nothing', () => {
    const state = connectionDecider.initialState();
    expect([...connectionAuthorityNeeds({ type: 'DeleteConnection', tenantId: 't', connectionId: 'c', deletedBy: 'u', now: T0 }, state)]).toEqual([]);
    const use = { type: 'UseConnectionCredential' as const, tenantId: 't', connectionId: 'c', targetDomain: 'a.example', accessedBy: 'u', actorKind: 'user' as const, credentialId: 'k', now: T0 };
    expect(sorted(connectionAuthorityNeeds(use, state))).toEqual(['connections:use']);
    expect(sorted(CONNECTION_AUTHORITY)).toEqual(['connections:use']);
  });

  it("personal tokens: a token gains its owner's role within its scope", () => {
    const issue = (scope: 'read' | 'read_write') => ({
      type: 'IssueToken' as const, tenantId: 't', ownerId: 'u', tokenId: 'k', label: 'l', scope, secretHash: 'h', hashKeyId: 'k', hint: 'x', expiresAt: null, idempotency: null, now: T0,
    });
    const state = personalTokensDecider.initialState();
    expect(sorted(personalTokenAuthorityNeeds('admin')(issue('read_write'), state))).toEqual(sorted(ALL));
    expect(sorted(personalTokenAuthorityNeeds('member')(issue('read'), state))).toEqual(['tokens:read']);
  });
});
