import { personalTokenStatus } from '../personal-tokens/personal-tokens';
import { hasExpired } from './expiry';

const BEFORE = '2025-03-01T10:59:59.999Z';
const AT = '2025-03-01T11:00:00.000Z';
const AFTER = '2025-03-01T11:00:00.001Z';

describe('hasExpired', () => {
  it('is false strictly before the instant and true from the instant on', () => {
    expect(hasExpired(AT, BEFORE)).toBe(false);
    expect(hasExpired(AT, AT)).toBe(true);
    expect(hasExpired(AT, AFTER)).toBe(true);
  });

  it('never holds for something without an expiry', () => {
    expect(hasExpired(null, '9999-12-31T23:59:59.999Z')).toBe(false);
  });
});

describe('personalTokenStatus', () => {
  it('shows an active token whose instant has passed as expired, and only then', () => {
    expect(personalTokenStatus({ status: 'active', expiresAt: AT }, BEFORE)).toBe('active');
    expect(personalTokenStatus({ status: 'active', expiresAt: AT }, AT)).toBe('expired');
    expect(personalTokenStatus({ status: 'active', expiresAt: null }, AFTER)).toBe('active');
  });

  it('keeps a revoked token revoked, before and after its instant', () => {
    expect(personalTokenStatus({ status: 'revoked', expiresAt: AT }, BEFORE)).toBe('revoked');
    expect(personalTokenStatus({ status: 'revoked', expiresAt: AT }, AFTER)).toBe('revoked');
  });
});
