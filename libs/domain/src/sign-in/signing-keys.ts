import { EncryptedSecret } from '../connections/connections';
import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * The keys Keyhold signs ID tokens with, in one stream (`signingKeys-oidc`). A key is used for
 * `SIGNING_KEY_ROTATE_AFTER_MS`, then a new one is added; the previous key stays published (in
 * the JWKS) for `SIGNING_KEY_PUBLISHED_AFTER_SUCCESSOR_MS`, far beyond the lifetime of any token
 * it signed. The private key is envelope-encrypted (its data key is in the key store) and only
 * its ciphertext is here.
 */
export const SIGNING_KEY_ROTATE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;
export const SIGNING_KEY_PUBLISHED_AFTER_SUCCESSOR_MS = 24 * 60 * 60 * 1000;
export const SIGNING_KEYS_STREAM_ID = 'oidc';

export type PublicJwk = Readonly<Record<string, string>>;
/** The private JWK sealed under the key's own data key, as any sealed secret: ciphertext and the data key's id. */
export type SealedPrivateKey = EncryptedSecret;

export type SigningKeyAdded = {
  type: 'SigningKeyAdded';
  data: { kid: string; alg: 'ES256'; publicJwk: PublicJwk; privateKey: SealedPrivateKey; previousKid: string | null; addedAt: string };
};
export type SigningKeyEvent = SigningKeyAdded;

export type RotateSigningKey = { type: 'RotateSigningKey'; kid: string; publicJwk: PublicJwk; privateKey: SealedPrivateKey; now: string };
export type SigningKeyCommand = RotateSigningKey;
export type SigningKeyRejection = Rejection<'RotationNotDue'>;

export type SigningKey = SigningKeyAdded['data'];
/** Oldest first. */
export type SigningKeyState = { readonly keys: readonly SigningKey[] };

const age = (key: SigningKey, now: string) => Date.parse(now) - Date.parse(key.addedAt);

/** The key to sign with now, or null when there is none or it is due for rotation. */
export const currentSigningKey = (state: SigningKeyState, now: string): SigningKey | null => {
  const newest = state.keys.at(-1);
  return newest && age(newest, now) < SIGNING_KEY_ROTATE_AFTER_MS ? newest : null;
};

/** The keys a verifier may still meet: the newest, and any whose successor is recent. */
export const publishedSigningKeys = (state: SigningKeyState, now: string): SigningKey[] =>
  state.keys.filter((key, index) => {
    const successor = state.keys[index + 1];
    return !successor || age(successor, now) < SIGNING_KEY_PUBLISHED_AFTER_SUCCESSOR_MS;
  });

const decide = (command: SigningKeyCommand, state: SigningKeyState) => {
  switch (command.type) {
    case 'RotateSigningKey': {
      if (currentSigningKey(state, command.now)) return reject<SigningKeyRejection>({ code: 'RotationNotDue', message: 'The current signing key is not due for rotation.' });
      const { type: _type, now, ...key } = command;
      return accept<SigningKeyEvent>({ type: 'SigningKeyAdded', data: { ...key, alg: 'ES256', previousKid: state.keys.at(-1)?.kid ?? null, addedAt: now } });
    }
    default:
      return assertNever(command.type);
  }
};

const evolve = (state: SigningKeyState, event: SigningKeyEvent): SigningKeyState => {
  switch (event.type) {
    case 'SigningKeyAdded':
      return { keys: [...state.keys, event.data] };
    default:
      return assertNever(event.type);
  }
};

export const signingKeyDecider: Decider<SigningKeyState, SigningKeyCommand, SigningKeyEvent, SigningKeyRejection> = {
  initialState: () => ({ keys: [] }),
  decide,
  evolve,
};
