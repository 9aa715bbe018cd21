import { PERMISSIONS, Permission } from '../shared/permissions';
import { AccessTokenClaims, decodeAccessTokenClaims, encodeAccessTokenClaims } from './access-token-claims';

const claims: AccessTokenClaims = {
  tenantId: '6f1c1f36-5d0e-4a8e-9a53-0d3c2b1c7a11',
  clientId: 'b1c2d3e4-0000-4000-8000-000000000001',
  clientKind: 'api_client',
  tokenId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  clientGeneration: 3,
  clientSecretId: 'secret-7',
  scope: ['history:read', 'tokens:introspect', 'users:read'],
  issuedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T01:00:00.000Z',
};

describe('access token claims', () => {
  it('round-trip, every permission included, in well under 200 bytes', () => {
    const all = { ...claims, scope: (Object.keys(PERMISSIONS) as Permission[]).sort() };
    expect(decodeAccessTokenClaims(encodeAccessTokenClaims(claims))).toEqual(claims);
    expect(decodeAccessTokenClaims(encodeAccessTokenClaims(all))).toEqual(all);
    expect(decodeAccessTokenClaims(encodeAccessTokenClaims({ ...claims, clientKind: 'service_account', clientSecretId: null }))).toMatchObject({
      clientKind: 'service_account',
      clientSecretId: null,
    });
    expect(encodeAccessTokenClaims(all).length).toBeLessThan(200);
  });

  it('writes the released layout byte for byte, so that tokens already issued still open', () => {
    const text = (value: string) => [Buffer.from([Buffer.byteLength(value)]), Buffer.from(value)];
    const fixed = Buffer.alloc(18);
    fixed.writeUInt8(1, 0); // version
    fixed.writeUInt8(1, 1); // api_client
    fixed.writeUInt32BE(Date.parse(claims.issuedAt) / 1000, 2);
    fixed.writeUInt32BE(Date.parse(claims.expiresAt) / 1000, 6);
    fixed.writeUInt32BE(3, 10);
    fixed.writeUInt32BE((1 << 17) | (1 << 4) | (1 << 5), 14); // history:read, tokens:introspect, users:read
    const released = Buffer.concat([fixed, ...[claims.tenantId, claims.clientId, claims.tokenId, 'secret-7'].flatMap(text)]);
    expect(encodeAccessTokenClaims(claims).equals(released)).toBe(true);
    const withoutSecret = encodeAccessTokenClaims({ ...claims, clientSecretId: null });
    expect(withoutSecret.subarray(released.length - 9).equals(Buffer.from([0]))).toBe(true);
    expect(withoutSecret.length).toBe(released.length - 8);
  });

  it('gives every permission its own bit: no two permissions read back as each other', () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      expect(decodeAccessTokenClaims(encodeAccessTokenClaims({ ...claims, scope: [permission] }))?.scope).toEqual([permission]);
    }
  });

  it('refuses bytes this version did not write: another version, an unknown scope bit, a cut or padded body', () => {
    const bytes = encodeAccessTokenClaims(claims);
    const otherVersion = Buffer.from(bytes);
    otherVersion[0] = 2;
    const unknownBit = Buffer.from(bytes);
    unknownBit.writeUInt32BE((unknownBit.readUInt32BE(14) | (1 << 31)) >>> 0, 14);
    for (const wrong of [otherVersion, unknownBit, bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from([0])]), Buffer.alloc(0)]) {
      expect(decodeAccessTokenClaims(wrong)).toBeNull();
    }
  });
});
