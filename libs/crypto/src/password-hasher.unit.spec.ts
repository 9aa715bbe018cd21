import { hashPassword, verifyPassword } from './password-hasher';

/** A cheap cost for tests of the format; the default cost is checked once. */
const CHEAP = { ln: 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('uses OWASP parameters by default and verifies the password it hashed', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
  });

  it('salts: the same password never hashes the same, and the hash does not contain it', async () => {
    const [a, b] = [await hashPassword('same password here', CHEAP), await hashPassword('same password here', CHEAP)];
    expect(a).not.toBe(b);
    expect(a).not.toContain('same password');
    expect(await verifyPassword('same password here', a)).toBe(true);
    expect(await verifyPassword('same password here', b)).toBe(true);
  });

  it('compares Unicode passwords in normalized form', async () => {
    const hash = await hashPassword('mot de passe d\u00e9j\u00e0 vu', CHEAP);
    expect(await verifyPassword('mot de passe de\u0301ja\u0300 vu', hash)).toBe(true);
  });

  it.each(['', 'plain', '$scrypt$ln=17,r=8,p=1$short$short', '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])(
    'answers false, without throwing, for the malformed hash %j',
    async (encoded) => {
      expect(await verifyPassword('anything at all', encoded)).toBe(false);
    },
  );
});
