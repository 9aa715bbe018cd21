import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, Equals, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { ClientSecretStatus, MAX_REDIRECT_URI_LENGTH, Role, ROLES } from '@keyhold/domain';
import { PageOf, PageQuery } from '../http/pagination';
import { IsDisplayName } from '../http/display-text';

/** The DTO bound; the maximum (the tenant's, within CLIENT_SECRET_MAX_DAYS) is checked by the controller. */
const LIFETIME_DAYS_BOUND = 3650;
const SECRET_LIFETIME = (what: string) =>
  `${what}: at most the tenant's maximum (clientSecretMaxLifetimeDays in /v1/settings), which is within CLIENT_SECRET_MAX_DAYS (service-wide); ` +
  'default 180, or that maximum if lower.';

class ApiClientNameFields {
  @ApiProperty({ example: 'reporting dashboard', maxLength: 100 })
  @IsDisplayName('name', 100)
  name!: string;
}

export class CreateApiClientDto extends ApiClientNameFields {
  @ApiPropertyOptional({ description: SECRET_LIFETIME('Lifetime of the first secret in days'), minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(LIFETIME_DAYS_BOUND)
  secretLifetimeDays?: number;
}

export class RenameApiClientDto extends ApiClientNameFields {}

export class AddClientSecretDto {
  @ApiPropertyOptional({ description: SECRET_LIFETIME('Lifetime in days'), minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(LIFETIME_DAYS_BOUND)
  lifetimeDays?: number;
}

/** The rules (https, loopback http, no fragment, ...) are the domain's; here only the shape. */
class RedirectUriField {
  @ApiProperty({
    example: 'https://app.example.com/callback',
    maxLength: MAX_REDIRECT_URI_LENGTH,
    description:
      'An absolute https URL (http only for 127.0.0.1, [::1] or localhost), without fragment or user information. ' +
      'Kept exactly as given and matched exactly: no normalisation (case, default port, trailing slash all count).',
  })
  @IsString()
  @MaxLength(MAX_REDIRECT_URI_LENGTH)
  uri!: string;
}

export class RedirectUriDto extends RedirectUriField {}
export class RedirectUriQuery extends RedirectUriField {}

export class FlowsDto {
  @ApiPropertyOptional({ description: 'The authorization code flow is always on; sending false is refused.', enum: [true] })
  @IsOptional()
  @Equals(true, { message: 'authorizationCode is always on' })
  authorizationCode?: true;

  @ApiProperty({ description: 'Require PKCE for the authorization code flow.' })
  @IsBoolean()
  requirePkce!: boolean;

  @ApiProperty({ description: 'Allow issuing refresh tokens.' })
  @IsBoolean()
  refreshTokens!: boolean;

  @ApiProperty({ description: 'Allow the resource owner password credentials flow.' })
  @IsBoolean()
  password!: boolean;

  @ApiProperty({ description: 'Allow the client credentials flow, acting with clientCredentialsRoles.' })
  @IsBoolean()
  clientCredentials!: boolean;

  @ApiProperty({ enum: ROLES, isArray: true, description: 'Roles the client acts with under client_credentials; the caller must hold all their permissions.' })
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true, message: `clientCredentialsRoles must contain only: ${ROLES.join(', ')}` })
  clientCredentialsRoles!: Role[];
}

/** PATCH …/flows: any of the settings, each optional; those left out keep their value. */
export class PatchFlowsDto extends PartialType(FlowsDto) {}

export class ApiClientParams {
  @IsUUID()
  id!: string;
}

export class ClientSecretParams extends ApiClientParams {
  @IsUUID()
  secretId!: string;
}

export class ExpiringSecretsQuery extends PageQuery {
  @ApiProperty({ minimum: 1, maximum: 3650, description: 'Active secrets whose expiry falls within this many days from now.' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  expiringWithinDays!: number;
}

/** A new client: its id and first secret, shown this once. */
export class CreatedApiClientResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', description: 'The OAuth client_id (the same as id).' })
  clientId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ example: 'kh_cs_…', description: 'The secret, shown this once.' })
  clientSecret!: string;
  @ApiProperty({ format: 'uuid' })
  secretId!: string;
  @ApiProperty({ format: 'date-time' })
  secretExpiresAt!: string;
}

/** A secret added beside the others, shown this once. */
export class AddedClientSecretResponse {
  @ApiProperty({ format: 'uuid' })
  secretId!: string;
  @ApiProperty({ example: 'kh_cs_…', description: 'The secret, shown this once.' })
  clientSecret!: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

/** A secret as lists show it: a hint and dates, never the secret. */
export class ClientSecretResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'kh_cs_…AbCd' })
  hint!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
  @ApiProperty({ enum: ['active', 'expired'], description: 'Removed secrets are not listed.' })
  status!: ClientSecretStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt!: string | null;
}

export class ClientSecretsResponse {
  @ApiProperty({ type: [ClientSecretResponse] })
  items!: ClientSecretResponse[];
}

/** The flow settings as reads show them; the authorization code flow is always on. */
export class FlowsResponse {
  @ApiProperty({ enum: [true] })
  authorizationCode!: true;
  @ApiProperty()
  requirePkce!: boolean;
  @ApiProperty()
  refreshTokens!: boolean;
  @ApiProperty()
  password!: boolean;
  @ApiProperty()
  clientCredentials!: boolean;
  @ApiProperty({ enum: ROLES, isArray: true })
  clientCredentialsRoles!: Role[];
}

/** An API client as reads and changes show it: no secret, no hint (those are under /secrets). */
export class ApiClientResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', description: 'The OAuth client_id (the same as id).' })
  clientId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: FlowsResponse })
  flows!: FlowsResponse;
  @ApiProperty({ type: [String] })
  redirectUris!: string[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'On reads; a change answers before the read models may have caught up.' })
  updatedAt?: string;
}

export class ApiClientPage extends PageOf(ApiClientResponse) {}

/** The client's secrets expiring soon, across the tenant's clients. */
export class ExpiringClientSecret {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  clientId!: string;
  @ApiProperty({ nullable: true, type: String })
  clientName!: string | null;
  @ApiProperty({ example: 'kh_cs_…AbCd' })
  hint!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

export class ExpiringClientSecretPage extends PageOf(ExpiringClientSecret) {}
