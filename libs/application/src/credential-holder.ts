import { ApplicationError } from './application-error';

/**
 * Who a verified credential speaks for, as far as use cases look: the HTTP edge's `Principal`
 * is one, structurally; another edge builds its own.
 */
export type CredentialHolder = {
  readonly tenantId: string;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly credential: { readonly kind: string };
  /** As OAuth writes scopes: space-separated. */
  readonly scope: string;
};

/** The user a credential speaks for; any other actor is refused plainly. */
export const userOf = (holder: CredentialHolder, what: string): string => {
  if (holder.actor.kind !== 'user') throw ApplicationError.forbidden(`Only users ${what}.`);
  return holder.actor.id;
};
