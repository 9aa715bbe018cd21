import { randomBytes } from 'node:crypto';
import { HashKey, SecretHash, SecretHasher } from './secret-hasher';
import { generateSecret } from './secret-token';

const key = (id: string, fill: number, length = 32): HashKey => ({ id, key: Buffer.alloc(length, fill) });

const K1 = key('k1', 1);
const K2 = key('k2', 2);
const K3 = key('k3', 3);

describe('SecretHasher', () => {
  const secret = generateSecret('personalApiToken');

  describe('hash', () => {
    it('gives the same hash for the same secret, under the current key id', () => {
      const hasher = new SecretHasher(K1);
      expect(hasher.hash(secret)).toEqual(hasher.hash(secret));
      expect(new SecretHasher(K1).hash(secret)).toEqual(hasher.hash(secret));
      expect(hasher.hash(secret).keyId).toBe('k1');
    });

    it('is an HMAC-SHA-256 (32 bytes, base64url) that does not contain the secret', () => {
      const { hash } = new SecretHasher(K1).hash(secret);
      expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(hash, 'base64url')).toHaveLength(32);
      expect(hash).not.toContain(secret.slice(7, 20));
    });

    it('gives different hashes for different secrets', () => {
      const hasher = new SecretHasher(K1);
      const hashes = Array.from({ length: 200 }, () => hasher.hash(generateSecret('personalApiToken')).hash);
      expect(new Set(hashes).size).toBe(200);
    });

    it('gives different hashes under different keys', () => {
      expect(new SecretHasher(K1).hash(secret).hash).not.toBe(new SecretHasher(K2).hash(secret).hash);
      // Even a single differing key bit changes the hash.
      const almostK1 = { id: 'k1', key: Buffer.from(K1.key) };
      almostK1.key[31] ^= 1;
      expect(new SecretHasher(almostK1).hash(secret).hash).not.toBe(new SecretHasher(K1).hash(secret).hash);
    });
  });

  describe('key length', () => {
    it.each([0, 16, 31])('refuses a current key of %i bytes', (length) => {
      expect(() => new SecretHasher(key('short', 9, length))).toThrow(/at least 32 bytes/);
    });

    it.each([32, 64])('accepts a key of %i bytes', (length) => {
      expect(() => new SecretHasher({ id: 'ok', key: randomBytes(length) })).not.toThrow();
    });
  });

  describe('rotation: candidateHashes', () => {
    it('covers the current and every previous key, each with its key id', () => {
      const hasher = new SecretHasher(K3, [K1, K2]);
      const candidates = hasher.candidateHashes(secret);
      expect(candidates).toHaveLength(3);
      expect(new Set(candidates.map((candidate) => candidate.keyId))).toEqual(new Set(['k1', 'k2', 'k3']));
      for (const old of [K1, K2, K3]) {
        expect(candidates).toContainEqual(new SecretHasher(old).hash(secret));
      }
    });

    it('with no previous keys, is just the current hash', () => {
      const hasher = new SecretHasher(K1);
      expect(hasher.candidateHashes(secret)).toEqual([hasher.hash(secret)]);
    });

    it('verifies a secret stored under a retired key after rotation', () => {
      const stored = new SecretHasher(K1).hash(secret);
      const rotated = new SecretHasher(K2, [K1]);
      expect(rotated.hash(secret).keyId).toBe('k2');
      expect(rotated.candidateHashes(secret).some((candidate) => SecretHasher.sameHash(candidate, stored))).toBe(true);
      const other = generateSecret('personalApiToken');
      expect(rotated.candidateHashes(other).some((candidate) => SecretHasher.sameHash(candidate, stored))).toBe(false);
    });

    it('no longer verifies a secret whose key was dropped', () => {
      const stored = new SecretHasher(K1).hash(secret);
      const withoutK1 = new SecretHasher(K3, [K2]);
      expect(withoutK1.candidateHashes(secret).some((candidate) => SecretHasher.sameHash(candidate, stored))).toBe(false);
    });
  });

  describe('sameHash', () => {
    const hasher = new SecretHasher(K1);
    const stored = hasher.hash(secret);

    it('is true for the same hash under the same key id', () => {
      expect(SecretHasher.sameHash(hasher.hash(secret), stored)).toBe(true);
    });

    it('is false for a different secret', () => {
      expect(SecretHasher.sameHash(hasher.hash(generateSecret('personalApiToken')), stored)).toBe(false);
    });

    it('is false for the same hash bytes under a different key id', () => {
      const relabelled: SecretHash = { hash: stored.hash, keyId: 'k2' };
      expect(SecretHasher.sameHash(relabelled, stored)).toBe(false);
    });

    it('is false for a hash that differs in any one full character, or is truncated or empty', () => {
      // The 43rd base64url character carries only 4 of its 6 bits (256 = 42 * 6 + 4), so only
      // the first 42 are compared character by character here.
      for (let index = 0; index < 42; index += 1) {
        const char = stored.hash[index] === 'A' ? 'z' : 'A';
        const tampered = stored.hash.slice(0, index) + char + stored.hash.slice(index + 1);
        expect(SecretHasher.sameHash({ ...stored, hash: tampered }, stored)).toBe(false);
      }
      expect(SecretHasher.sameHash({ ...stored, hash: stored.hash.slice(0, 20) }, stored)).toBe(false);
      expect(SecretHasher.sameHash({ ...stored, hash: '' }, stored)).toBe(false);
    });
  });
});
