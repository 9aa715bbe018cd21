import { ApiProperty, OmitType } from '@nestjs/swagger';
import { IssuedInvitation } from '@keyhold/application';
import { Role, ROLES } from '@keyhold/domain';
import { PageOf } from '../http/pagination';

// What /v1/me and the reads of users answer, for the API document.

class Named {
  @ApiProperty()
  kind!: string;
  @ApiProperty()
  id!: string;
}

export class MeResponse {
  @ApiProperty()
  tenantId!: string;
  @ApiProperty({ type: Named, description: 'Who the credential speaks for: user, service_account, api_client or integration.' })
  actor!: Named;
  @ApiProperty({ type: Named, description: 'The credential presented: its kind and id.' })
  credential!: Named;
  @ApiProperty({ description: 'Space-separated.' })
  scope!: string;
  @ApiProperty({ type: [String], description: "The owner's current rights narrowed by the credential's scope." })
  permissions!: string[];
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'email' })
  email!: string;
  @ApiProperty({ enum: ROLES })
  role!: Role;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class UserPage extends PageOf(UserResponse) {}

export class RoleChangeResponse {
  @ApiProperty({ format: 'uuid' })
  userId!: string;
  @ApiProperty({ enum: ROLES })
  role!: Role;
}

/** A link to set a first password: the link, not a credential; it stops working once used or re-issued. */
export class InvitationLinkResponse {
  @ApiProperty({ format: 'uri', description: 'Shown this once.' })
  url!: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

/** The invitation as the admin receives it: the link to the page where the invited user sets their password. */
export const invitationLink = (issuer: string, { userId, code, expiresAt }: IssuedInvitation): InvitationLinkResponse => ({ url: `${issuer}/invitations/${userId}/${code}`, expiresAt });

export class AddedUserResponse extends OmitType(UserResponse, ['updatedAt']) {
  @ApiProperty({ type: InvitationLinkResponse, description: 'The user sets a password there and issues their own tokens.' })
  invitation!: InvitationLinkResponse;
}

/** A browser session: its handle and windows, never the cookie's secret. */
export class SessionResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: ['active', 'expired', 'ended'] })
  state!: 'active' | 'expired' | 'ended';
  @ApiProperty({ format: 'date-time' })
  startedAt!: string;
  @ApiProperty({ format: 'date-time' })
  lastActiveAt!: string;
  @ApiProperty({ format: 'date-time' })
  idleExpiresAt!: string;
  @ApiProperty({ format: 'date-time' })
  absoluteExpiresAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  endedAt!: string | null;
  @ApiProperty({ enum: ['signed-out', 'ended-by-user', 'ended-by-admin', 'replaced'], nullable: true, type: String })
  endReason!: string | null;
}

export class SessionPage extends PageOf(SessionResponse) {}
