import { randomUUID } from 'node:crypto';
import { EncryptedSecret, HashedSecret, IssuedAccessToken } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint, SecretKind } from '@keyhold/crypto';
import { DataKey, DataKeyService, DataKeyUnavailableError, decryptValue, encryptValue, MasterKeyUnavailableError, UnwrapError } from '@keyhold/key-store';
import { ApplicationError } from '../application-error';

/** A fresh secret of a kind, and how it is stored: its keyed hash and a hint. */
export type IssuedSecret = { readonly secret: string; readonly stored: HashedSecret };

/** The integration's secrets that signatures are keyed with, each sealed under its own field name. */
export type SealedField = 'consumerSecret' | 'accessTokenSecret' | 'requestTokenSecret';

export type IssuedTokenPair = {
  readonly token: string;
  readonly tokenSecret: string;
  readonly storedToken: IssuedAccessToken;
  readonly storedSecret: HashedSecret;
  readonly sealedSecret: EncryptedSecret;
};

const TOKEN_PAIRS: Record<'request' | 'access', readonly [SecretKind, SecretKind, SealedField]> = {
  request: ['integrationRequestToken', 'integrationRequestTokenSecret', 'requestTokenSecret'],
  access: ['integrationAccessToken', 'integrationAccessTokenSecret', 'accessTokenSecret'],
};

/**
 * Issues integration secrets, and seals and opens those Keyhold must recompute OAuth 1.0a
 * signatures with, under the integration's own data key (envelope encryption, libs/key-store):
 * deleting the integration destroys the key, and with it every sealed secret.
 */
export class IntegrationSecrets {
  constructor(
    private readonly hasher: SecretHasher,
    private readonly dataKeys: DataKeyService,
  ) {}

  issue(kind: SecretKind): IssuedSecret {
    const secret = generateSecret(kind);
    const { hash, keyId } = this.hasher.hash(secret);
    return { secret, stored: { hash, hashKeyId: keyId, hint: secretHint(secret) } };
  }

  /**
   * A token (its id, hash and hint kept) and its secret (hash and hint kept, and sealed: it keys
   * signatures): a request token of the handshake, or an access token.
   */
  async issueTokenPair(integrationId: string, now: string, kind: 'request' | 'access'): Promise<IssuedTokenPair> {
    const [tokenKind, secretKind, field] = TOKEN_PAIRS[kind];
    const token = this.issue(tokenKind);
    const secret = this.issue(secretKind);
    const sealedSecret = await this.seal(integrationId, now, (seal) => seal(field, secret.secret));
    return { token: token.secret, tokenSecret: secret.secret, storedToken: { ...token.stored, id: randomUUID() }, storedSecret: secret.stored, sealedSecret };
  }

  /** The integration's data key, made on first use; wiped once `use` is done with it. */
  async seal<T>(integrationId: string, now: string, use: (seal: (field: SealedField, value: string) => EncryptedSecret, keyId: string) => T): Promise<T> {
    const key = await this.dataKeys.get(integrationId).catch((error: unknown) => {
      if (error instanceof DataKeyUnavailableError && error.destroyedAt === null) return this.dataKeys.create(integrationId, now);
      // Only a deletion destroys an integration's key.
      if (error instanceof DataKeyUnavailableError) throw ApplicationError.rejected({ code: 'IntegrationDeleted', message: 'The integration was deleted.' });
      throw unavailable(error);
    });
    return withKey(key, (dataKey) => use((field, value) => encryptValue(dataKey, field, value), dataKey.keyId));
  }

  /** The secrets in clear, for the time of one signature check; null if the key is gone. */
  async open(integrationId: string, sealed: Partial<Record<SealedField, EncryptedSecret>>): Promise<Partial<Record<SealedField, string>> | null> {
    const key = await this.dataKeys.get(integrationId).catch((error: unknown) => {
      if (error instanceof DataKeyUnavailableError) return null;
      throw unavailable(error);
    });
    if (!key) return null;
    return withKey(key, (dataKey) =>
      Object.fromEntries(Object.entries(sealed).map(([field, value]) => [field, decryptValue(dataKey, field, value as EncryptedSecret)])),
    );
  }

  /** Crypto-shredding when the integration is deleted. */
  destroy(integrationId: string, now: string): Promise<boolean> {
    return this.dataKeys.destroy(integrationId, now);
  }

  candidates(presented: string) {
    return this.hasher.candidateHashes(presented);
  }
}

const withKey = <T>(key: DataKey, use: (key: DataKey) => T): T => {
  try {
    return use(key);
  } finally {
    key.key.fill(0);
  }
};

const unavailable = (error: unknown) =>
  error instanceof MasterKeyUnavailableError || error instanceof UnwrapError
    ? new ApplicationError({ kind: 'unavailable', message: "The key protecting this integration's secrets cannot be opened with the configured master keys." })
    : error;
