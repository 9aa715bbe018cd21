import { randomBytes } from 'node:crypto';
import { DataKey, decryptValue, DecryptionError, encryptValue } from './field-encryption';
import { MasterKeyRing, UnwrapError } from './master-key-ring';

const dataKey = (ownerId = 'conn-1', keyId = 'dk-1'): DataKey => ({ ownerId, keyId, key: randomBytes(32) });

describe('field encryption (AES-256-GCM)', () => {
  const key = dataKey();
  const secret = 'xoxb-1234-secret-value-éè';

  it('round-trips a value and carries only ciphertext and the data key id', () => {
    const encrypted = encryptValue(key, 'apiKey', secret);
    expect(Object.keys(encrypted).sort()).toEqual(['alg', 'ciphertext', 'iv', 'keyId', 'tag']);
    expect(encrypted.keyId).toBe('dk-1');
    expect(JSON.stringify(encrypted)).not.toContain('secret-value');
    expect(Buffer.from(encrypted.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(encrypted.tag, 'base64url')).toHaveLength(16);
    expect(decryptValue(key, 'apiKey', encrypted)).toBe(secret);
  });

  it('uses a fresh IV each time: the same value never gives the same ciphertext', () => {
    const values = Array.from({ length: 50 }, () => encryptValue(key, 'apiKey', secret));
    expect(new Set(values.map((v) => v.iv)).size).toBe(50);
    expect(new Set(values.map((v) => v.ciphertext)).size).toBe(50);
  });

  it('refuses a ciphertext moved to another field or another owner (authenticated data)', () => {
    const encrypted = encryptValue(key, 'password', secret);
    expect(() => decryptValue(key, 'username', encrypted)).toThrow(DecryptionError);
    expect(() => decryptValue({ ...key, ownerId: 'conn-2' }, 'password', encrypted)).toThrow(DecryptionError);
  });

  it('refuses a ciphertext under another key, or tampered with anywhere', () => {
    const encrypted = encryptValue(key, 'token', secret);
    expect(() => decryptValue({ ...dataKey(), keyId: 'dk-1' }, 'token', encrypted)).toThrow(DecryptionError);
    expect(() => decryptValue(dataKey('conn-1', 'dk-2'), 'token', encrypted)).toThrow(DecryptionError);
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0] ^= 1;
      return bytes.toString('base64url');
    };
    for (const field of ['iv', 'ciphertext', 'tag'] as const) {
      expect(() => decryptValue(key, 'token', { ...encrypted, [field]: flip(encrypted[field]) })).toThrow(DecryptionError);
    }
    expect(() => decryptValue(key, 'token', { ...encrypted, tag: '' })).toThrow(DecryptionError);
  });

  it('says nothing of the plaintext or key in its error', () => {
    const encrypted = encryptValue(key, 'token', secret);
    const error = (() => {
      try {
        decryptValue(dataKey(), 'token', encrypted);
      } catch (e) {
        return e as Error;
      }
      throw new Error('decrypted');
    })();
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(key.key.toString('base64url'));
  });
});

describe('MasterKeyRing', () => {
  const m1 = { id: 'm1', key: randomBytes(32) };
  const m2 = { id: 'm2', key: randomBytes(32) };
  const raw = randomBytes(32);

  it('wraps under the current key and unwraps under any key it holds', () => {
    const wrapped = new MasterKeyRing(m1).wrap('owner', 'dk', raw);
    expect(wrapped.masterKeyId).toBe('m1');
    const rotated = new MasterKeyRing(m2, [m1]);
    expect(rotated.unwrap('owner', 'dk', wrapped.wrappedKey, 'm1').equals(raw)).toBe(true);
    expect(rotated.wrap('owner', 'dk', raw).masterKeyId).toBe('m2');
  });

  it('binds the wrapping to the owner and the key id', () => {
    const ring = new MasterKeyRing(m1);
    const { wrappedKey } = ring.wrap('owner', 'dk', raw);
    expect(() => ring.unwrap('other', 'dk', wrappedKey, 'm1')).toThrow(UnwrapError);
    expect(() => ring.unwrap('owner', 'dk2', wrappedKey, 'm1')).toThrow(UnwrapError);
    expect(() => ring.unwrap('owner', 'dk', 'AAAA', 'm1')).toThrow(UnwrapError);
  });

  it('refuses master keys that are not 32 bytes', () => {
    expect(() => new MasterKeyRing({ id: 'short', key: randomBytes(16) })).toThrow(/32 bytes/);
    expect(() => new MasterKeyRing(m1, [{ id: 'long', key: randomBytes(64) }])).toThrow(/32 bytes/);
  });
});
