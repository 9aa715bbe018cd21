import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Equals, IsIn, IsOptional, IsString, IsUUID, Matches, ValidateIf } from 'class-validator';
import { CommandSigningKey, Permission, PERMISSIONS } from '@keyhold/domain';
import { IsInstant } from '../http/instant';
import { IsDisplayName } from '../http/display-text';
import { PageOf } from '../http/pagination';

const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export class CreateServiceAccountDto {
  @ApiProperty({ example: 'nightly export', maxLength: 100 })
  @IsDisplayName('name', 100)
  name!: string;

  @ApiPropertyOptional({ description: 'After this instant the account stops authenticating.' })
  @IsOptional()
  @IsInstant()
  sunsetAt?: string;
}

export class SunsetDto {
  @ApiProperty({ nullable: true, description: 'ISO 8601 instant, or null to remove the sunset.' })
  @ValidateIf((dto: SunsetDto) => dto.sunsetAt !== null)
  @IsInstant()
  sunsetAt!: string | null;
}

export class ServiceAccountParams {
  @IsUUID()
  id!: string;
}

export class PermissionParams extends ServiceAccountParams {
  @IsIn(PERMISSION_NAMES, { message: `permission must be one of: ${PERMISSION_NAMES.join(', ')}` })
  permission!: Permission;
}

export class ProjectParams extends ServiceAccountParams {
  /** Projects are the tenant's own identifiers; we only keep them. */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'projectId must be 1-128 characters of A-Z a-z 0-9 . _ : -' })
  projectId!: string;
}

/**
 * The public half of an Ed25519 key pair as a JWK (RFC 8037). Any other member is refused, `d`
 * above all: a private key sent here would be a secret in the event log.
 */
export class CommandSigningKeyDto implements CommandSigningKey {
  @ApiProperty({ enum: ['OKP'] })
  @Equals('OKP', { message: "kty must be 'OKP'" })
  kty!: 'OKP';

  @ApiProperty({ enum: ['Ed25519'] })
  @Equals('Ed25519', { message: "crv must be 'Ed25519'" })
  crv!: 'Ed25519';

  @ApiProperty({ description: 'The 32-byte public key, base64url without padding.', example: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, { message: 'x must be a 32-byte Ed25519 public key, base64url-encoded without padding' })
  x!: string;
}

/** What reads show of a service account: a hint of its secret, never the secret. */
export class ServiceAccountResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', description: 'The OAuth client_id (the same as id).' })
  clientId!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: PERMISSION_NAMES, isArray: true, description: 'Empty while a permissions reset is pending.' })
  permissions!: Permission[];
  @ApiProperty({ type: [String] })
  projects!: string[];
  @ApiProperty()
  permissionsResetPending!: boolean;
  @ApiProperty({ example: 'kh_cs_…AbCd' })
  secretHint!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  sunsetAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  secretResetAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The RFC 7638 thumbprint of its command-signing key (docs/kafka-commands.md)." })
  commandSigningKeyThumbprint!: string | null;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class ServiceAccountPage extends PageOf(ServiceAccountResponse) {}

/** The rights an account holds after a change of them. */
export class ServiceAccountRightsResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: PERMISSION_NAMES, isArray: true })
  permissions!: Permission[];
  @ApiProperty({ type: [String] })
  projects!: string[];
}

/** A new secret (at creation or after a reset), shown this once; rights start empty. */
export class ServiceAccountSecretResponse extends ServiceAccountRightsResponse {
  @ApiProperty({ format: 'uuid', description: 'The OAuth client_id.' })
  clientId!: string;
  @ApiProperty({ example: 'kh_cs_…', description: 'The secret, shown this once.' })
  clientSecret!: string;
}

export class CreatedServiceAccountResponse extends ServiceAccountSecretResponse {
  @ApiProperty()
  name!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  sunsetAt!: string | null;
}

/**
 * An hour in which a client obtained access tokens (docs/access-tokens.md), or one token issued
 * before tokens were sealed: never a token, never its hash.
 */
export class AccessTokenSummary {
  @ApiProperty({ description: "The issuance hour's id (a token issued before tokens were sealed: the token's id)." })
  id!: string;
  @ApiProperty({ description: 'Space-separated: the scope of the first token of the hour.' })
  scope!: string;
  @ApiProperty({ format: 'date-time', description: 'When the first token of the hour was issued.' })
  issuedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'The latest instant a token of the hour can live until.' })
  expiresAt!: string;
}

export class AccessTokenList {
  @ApiProperty({ type: [AccessTokenSummary], description: 'Newest first; at most 200.' })
  items!: AccessTokenSummary[];
}

/** What `GET …/{id}/tokens` says it lists, on both kinds of OAuth client. */
export const ACCESS_TOKEN_HOURS_OPERATION = {
  summary: 'The hours in which this client obtained access tokens that may still be live',
  description:
    'Access tokens are sealed and not stored one by one: each entry is an hour in which the client obtained at least one, ' +
    'with the latest expiry a token of that hour can have, listed until then. A token of a listed hour may still be refused ' +
    '(revoked, or its client changed since). Tokens issued before tokens were sealed are listed one by one.',
};

class RegisteredCommandSigningKey {
  @ApiProperty({ description: 'Its RFC 7638 thumbprint.' })
  thumbprint!: string;
  @ApiProperty({ type: CommandSigningKeyDto })
  publicKey!: CommandSigningKeyDto;
}

export class CommandSigningKeyResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ type: RegisteredCommandSigningKey })
  commandSigningKey!: RegisteredCommandSigningKey;
}
