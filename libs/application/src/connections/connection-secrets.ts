import { CREDENTIAL_SECRET_FIELDS, CredentialType, EncryptedSecrets, SECRET_FIELDS, SecretField } from '@keyhold/domain';
import { DataKey, decryptValue, encryptValue } from '@keyhold/key-store';

/** Secret values in clear, by field: only ever in memory, for the time of one request. */
export type PlainSecrets = Partial<Record<SecretField, string>>;

/** Picks the secret fields out of a request body, whatever else it holds. */
export const secretsIn = (body: object): PlainSecrets =>
  Object.fromEntries(
    SECRET_FIELDS.flatMap((field) => {
      const value = (body as Record<string, unknown>)[field];
      return typeof value === 'string' ? [[field, value]] : [];
    }),
  );

/** Seals each secret with the connection's data key; the field name is authenticated with it. */
export const seal = (dataKey: DataKey, secrets: PlainSecrets): EncryptedSecrets =>
  Object.fromEntries(Object.entries(secrets).map(([field, value]) => [field, encryptValue(dataKey, field, value!)]));

/** Opens the secrets a connection of this type holds. */
export const unseal = (dataKey: DataKey, type: CredentialType, secrets: EncryptedSecrets): PlainSecrets => {
  const fields = [...CREDENTIAL_SECRET_FIELDS[type].required, ...CREDENTIAL_SECRET_FIELDS[type].optional];
  return Object.fromEntries(fields.flatMap((field) => (secrets[field] ? [[field, decryptValue(dataKey, field, secrets[field]!)]] : [])));
};
