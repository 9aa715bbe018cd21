import { deciderSpec } from '../testing/decider-spec';
import { fold } from '../shared/decider';
import { AnonymousGuestAccessChanged, ClientSecretMaxLifetimeChanged, tenantSettingsDecider } from './tenant-settings';
import { UserPasswordSet, userPasswordDecider } from './user-passwords';

const T0 = '2026-03-01T09:00:00.000Z';

describe('tenant settings decider', () => {
  const spec = deciderSpec(tenantSettingsDecider);
  const set = (allowed: boolean) => ({ type: 'SetAnonymousGuestAccess', tenantId: 't1', allowed, changedBy: 'admin', now: T0 }) as const;
  const changed = (allowed: boolean): AnonymousGuestAccessChanged => ({
    type: 'AnonymousGuestAccessChanged',
    data: { tenantId: 't1', allowed, changedAt: T0, changedBy: 'admin' },
  });

  it('has anonymous guest access off by default', () => {
    expect(fold(tenantSettingsDecider, [])).toEqual({ allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null });
    spec.given([]).when(set(false)).thenNothing();
  });

  it('records each change, and nothing when the value stays', () => {
    spec.given([]).when(set(true)).then([changed(true)]);
    spec.given([changed(true)]).when(set(true)).thenNothing();
    spec.given([changed(true)]).when(set(false)).then([changed(false)]);
  });

  const setMax = (maxDays: number | null) => ({ type: 'SetClientSecretMaxLifetime', tenantId: 't1', maxDays, changedBy: 'admin', now: T0 }) as const;
  const maxChanged = (maxDays: number | null): ClientSecretMaxLifetimeChanged => ({
    type: 'ClientSecretMaxLifetimeChanged',
    data: { tenantId: 't1', maxDays, changedAt: T0, changedBy: 'admin' },
  });

  it('has no client secret maximum of its own by default', () => {
    spec.given([]).when(setMax(null)).thenNothing();
  });

  it('records each change of the client secret maximum, and nothing when it stays', () => {
    spec.given([]).when(setMax(30)).then([maxChanged(30)]);
    spec.given([maxChanged(30)]).when(setMax(30)).thenNothing();
    spec.given([maxChanged(30)]).when(setMax(90)).then([maxChanged(90)]);
    spec.given([maxChanged(30)]).when(setMax(null)).then([maxChanged(null)]);
    spec.given([maxChanged(30), maxChanged(null)]).when(setMax(null)).thenNothing();
  });

  it('keeps the two settings apart', () => {
    expect(fold(tenantSettingsDecider, [changed(true), maxChanged(30)])).toEqual({ allowAnonymousGuestAccess: true, clientSecretMaxLifetimeDays: 30 });
    spec.given([maxChanged(30)]).when(set(false)).thenNothing();
    spec.given([changed(true)]).when(setMax(null)).thenNothing();
  });
});

describe('user password decider', () => {
  const spec = deciderSpec(userPasswordDecider);
  const setPassword = (passwordHash: string, expectedCurrentHash: string | null) =>
    ({ type: 'SetUserPassword', tenantId: 't1', userId: 'u1', passwordHash, expectedCurrentHash, now: T0 }) as const;
  const passwordSet = (passwordHash: string): UserPasswordSet => ({
    type: 'UserPasswordSet',
    data: { tenantId: 't1', userId: 'u1', passwordHash, setAt: T0 },
  });

  it('sets a first password, then changes it against the hash checked', () => {
    spec.given([]).when(setPassword('h1', null)).then([passwordSet('h1')]);
    spec.given([passwordSet('h1')]).when(setPassword('h2', 'h1')).then([passwordSet('h2')]);
  });

  it('refuses a change checked against a password that changed meanwhile', () => {
    spec.given([passwordSet('h1')]).when(setPassword('h2', null)).thenRejects('PasswordChangedConcurrently');
    spec.given([passwordSet('h1'), passwordSet('h3')]).when(setPassword('h2', 'h1')).thenRejects('PasswordChangedConcurrently');
  });
});
