import { StoredSecret } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';

/**
 * A fresh client secret (of an API client or a service account) and what is stored of it: its
 * keyed hash and hint. The secret itself goes to the caller once, and nowhere else.
 */
export const newClientSecret = (hasher: SecretHasher): { readonly clientSecret: string; readonly stored: StoredSecret } => {
  const clientSecret = generateSecret('clientSecret');
  const { hash, keyId } = hasher.hash(clientSecret);
  return { clientSecret, stored: { secretHash: hash, hashKeyId: keyId, hint: secretHint(clientSecret) } };
};
