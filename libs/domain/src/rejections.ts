import { AccessTokenRejection } from './access-tokens/access-tokens';
import { ApiClientRejection } from './api-clients/api-clients';
import { AuthorityExceeded } from './shared/authority';
import { ConnectionRejection } from './connections/connections';
import { IntegrationRejection } from './integrations/integrations';
import { KafkaCommandRejection } from './kafka-commands/kafka-commands';
import { PersonalTokenRejection } from './personal-tokens/personal-tokens';
import { ServiceAccountRejection } from './service-accounts/service-accounts';
import { InvitationRejection } from './sign-in/invitations';
import { SessionRejection } from './sign-in/sessions';
import { SigningKeyRejection } from './sign-in/signing-keys';
import { UserGrantRejection } from './sign-in/user-grants';
import { TenancyRejection } from './tenancy/tenancy';
import { TenantSettingsRejection } from './tenancy/tenant-settings';
import { UserPasswordRejection } from './tenancy/user-passwords';

/**
 * Every refusal any decider can return. Edges map `RejectionCode` with a `Record` over it, so a
 * new code that an edge does not map fails the compiler instead of becoming a silent default.
 */
export type DomainRejection =
  | AccessTokenRejection
  | ApiClientRejection
  | AuthorityExceeded
  | ConnectionRejection
  | IntegrationRejection
  | InvitationRejection
  | KafkaCommandRejection
  | PersonalTokenRejection
  | ServiceAccountRejection
  | SessionRejection
  | SigningKeyRejection
  | TenancyRejection
  | TenantSettingsRejection
  | UserGrantRejection
  | UserPasswordRejection;

export type RejectionCode = DomainRejection['code'];
