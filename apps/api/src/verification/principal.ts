import { Permission } from '@keyhold/domain';
import { SecretKind } from '@keyhold/crypto';
import { userOf } from '@keyhold/application';

export type ActorKind = 'user' | 'service_account' | 'api_client' | 'integration';

/** Who a verified credential speaks for, with the rights it has right now. */
export type Principal = {
  readonly tenantId: string;
  readonly actor: { readonly kind: ActorKind; readonly id: string };
  readonly credential: { readonly kind: SecretKind; readonly id: string };
  /** The scope the credential carries, as OAuth writes scopes: space-separated. */
  readonly scope: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
  /** The OAuth client a person's credential was obtained through (RFC 7662 `client_id`); absent when the actor is itself the client, or there is none. */
  readonly clientId?: string;
};

/** Personal API tokens belong to users; any other actor asking to hold one is refused plainly. */
export const userIdOf = (principal: Principal): string => userOf(principal, 'hold personal API tokens');
