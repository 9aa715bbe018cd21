import { randomBytes } from 'node:crypto';
import { openSealedSecret, sealSecret } from './sealed-secret';
import { SecretHasher } from './secret-hasher';
import { generateSecret, parseSecret } from './secret-token';

const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
const claims = Buffer.from('claims of any shape, even binary \u0000\u00ff');

describe('sealed secrets', () => {
  it('carry their claims under a MAC and read as access tokens', () => {
    const sealed = sealSecret('accessToken', claims, hasher);
    expect(sealed).toMatch(/^kh_at_[A-Za-z0-9_-]+$/);
    expect(parseSecret(sealed)).toBe('accessToken');
    expect(openSealedSecret('accessToken', sealed, hasher)).toEqual(claims);
  });

  it('are refused when altered, cut, unsigned, or a random access token of the older kind', () => {
    const sealed = sealSecret('accessToken', claims, hasher);
    // Inside the MAC, not its last character: that one may carry only padding bits, which a
    // base64url decoder ignores, so changing it can leave the bytes as they were.
    const at = sealed.length - 8;
    const altered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    for (const wrong of [altered, sealed.slice(0, -4), `kh_at_${Buffer.concat([Buffer.from([2]), Buffer.from('k1'), claims, Buffer.alloc(32)]).toString('base64url')}`, generateSecret('accessToken')]) {
      expect(openSealedSecret('accessToken', wrong, hasher)).toBeNull();
    }
  });

  it('never verify under a key the hasher does not hold, whatever its id', () => {
    const sealed = sealSecret('accessToken', claims, hasher);
    expect(openSealedSecret('accessToken', sealed, new SecretHasher({ id: 'k1', key: randomBytes(32) }))).toBeNull();
    expect(openSealedSecret('accessToken', sealed, new SecretHasher({ id: 'k2', key: randomBytes(32) }))).toBeNull();
  });
});
