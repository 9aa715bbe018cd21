import { deciderSpec } from '../testing/decider-spec';
import { fold } from '../shared/decider';
import {
  currentSigningKey,
  publishedSigningKeys,
  RotateSigningKey,
  SIGNING_KEY_PUBLISHED_AFTER_SUCCESSOR_MS,
  SIGNING_KEY_ROTATE_AFTER_MS,
  SigningKeyAdded,
  signingKeyDecider,
} from './signing-keys';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const sealed = (kid: string) => ({ alg: 'A256GCM', keyId: `dk-${kid}`, iv: 'iv', ciphertext: `sealed-${kid}`, tag: 'tag' }) as const;
const rotate = (kid: string, now: string): RotateSigningKey => ({ type: 'RotateSigningKey', kid, publicJwk: { kty: 'EC', x: kid }, privateKey: sealed(kid), now });
const added = (kid: string, addedAt: string, previousKid: string | null): SigningKeyAdded => ({
  type: 'SigningKeyAdded',
  data: { kid, alg: 'ES256', publicJwk: { kty: 'EC', x: kid }, privateKey: sealed(kid), previousKid, addedAt },
});

describe('OIDC signing keys', () => {
  const spec = deciderSpec(signingKeyDecider);

  it('adds the first key, and a successor only once the current one is due', () => {
    spec.given([]).when(rotate('k1', T0)).then([added('k1', T0, null)]);
    spec.given([added('k1', T0, null)]).when(rotate('k2', at(1000))).thenRejects('RotationNotDue');
    spec.given([added('k1', T0, null)]).when(rotate('k2', at(SIGNING_KEY_ROTATE_AFTER_MS))).then([added('k2', at(SIGNING_KEY_ROTATE_AFTER_MS), 'k1')]);
  });

  it('signs with the newest key while it is fresh, and keeps publishing the previous one for a while', () => {
    const rotatedAt = SIGNING_KEY_ROTATE_AFTER_MS;
    const state = fold(signingKeyDecider, [added('k1', T0, null), added('k2', at(rotatedAt), 'k1')]);
    expect(currentSigningKey(state, at(rotatedAt + 1))?.kid).toBe('k2');
    expect(currentSigningKey(state, at(rotatedAt * 2))).toBeNull();
    expect(publishedSigningKeys(state, at(rotatedAt + 1)).map((key) => key.kid)).toEqual(['k1', 'k2']);
    expect(publishedSigningKeys(state, at(rotatedAt + SIGNING_KEY_PUBLISHED_AFTER_SUCCESSOR_MS)).map((key) => key.kid)).toEqual(['k2']);
  });
});
