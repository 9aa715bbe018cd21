import { deciderSpec } from '../testing/decider-spec';
import { fold } from '../shared/decider';
import { AnonymousGuestAccessChanged, tenantSettingsDecider } from './tenant-settings';
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
    expect(fold(tenantSettingsDecider, [])).toEqual({ allowAnonymousGuestAccess: false });
    spec.given([]).when(set(false)).thenNothing();
  });

  it('records each change, and nothing when the value stays', () => {
    spec.given([]).when(set(true)).then([changed(true)]);
    spec.given([changed(true)]).when(set(true)).thenNothing();
    spec.given([changed(true)]).when(set(false)).then([changed(false)]);
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
