import { ApiProperty } from '@nestjs/swagger';
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
