import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { RESOURCE_ACCESS, ResourceAccess } from '@keyhold/domain';
import { IsDisplayName } from '../http/display-text';
import { PageOf } from '../http/pagination';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** http or https (https is what makes an integration secure), absolute, no credentials in it. */
const WEB_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, disallow_auth: true };

/** The acting user's own password: creating and reauthorizing an integration is confirmed by a person. */
export class PasswordConfirmationDto {
  @ApiProperty({ writeOnly: true, description: "The admin's own password, to confirm their identity." })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

export class CreateIntegrationDto extends PasswordConfirmationDto {
  @ApiProperty({ example: 'ERP sync', maxLength: 100 })
  @IsDisplayName('name', 100)
  name!: string;

  @ApiProperty({ example: 'ops@erp.example', description: 'Whom to contact about this integration.' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ example: 'https://erp.example/keyhold/callback', description: 'Where credentials may be sent; https strongly advised.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl(WEB_URL, { message: 'callbackUrl must be an absolute http(s) URL without credentials' })
  callbackUrl?: string;

  @ApiPropertyOptional({ example: 'https://erp.example/keyhold/login', description: 'Where users are sent to link their account.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl(WEB_URL, { message: 'identityLinkUrl must be an absolute http(s) URL without credentials' })
  identityLinkUrl?: string;

  @ApiProperty({ enum: RESOURCE_ACCESS })
  @IsIn(RESOURCE_ACCESS)
  resourceAccess!: ResourceAccess;

  @ApiPropertyOptional({ type: [String], example: ['tokens.read'], description: "For 'custom': names from GET /v1/integrations/resources." })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  resources?: string[];
}

export class IntegrationParams {
  @IsUUID()
  id!: string;
}

export class TenantSettingsDto {
  @ApiPropertyOptional({ description: 'Whether anonymous guests may use the API (off by default).' })
  @IsOptional()
  @IsBoolean()
  allowAnonymousGuestAccess?: boolean;

  /** The DTO bound; the service-wide maximum (CLIENT_SECRET_MAX_DAYS) is checked by the controller. */
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    description:
      "The tenant's maximum lifetime of an API client's secret, in days, at most CLIENT_SECRET_MAX_DAYS (the service-wide maximum). " +
      'null clears it: the service-wide maximum applies (the default).',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  clientSecretMaxLifetimeDays?: number | null;
}

/** An integration as a command left it. */
export class IntegrationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ format: 'email' })
  email!: string;
  @ApiProperty({ format: 'uri', nullable: true, type: String })
  callbackUrl!: string | null;
  @ApiProperty({ format: 'uri', nullable: true, type: String })
  identityLinkUrl!: string | null;
  @ApiProperty()
  insecure!: boolean;
  @ApiProperty({ enum: RESOURCE_ACCESS })
  resourceAccess!: ResourceAccess;
  @ApiProperty({ type: [String] })
  resources!: string[];
  @ApiProperty({ enum: ['inactive', 'activating', 'active', 'deleted'], description: "'activating' while an OAuth 1.0a handshake with the callback URL is under way." })
  status!: 'inactive' | 'activating' | 'active' | 'deleted';
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

class IntegrationHints {
  @ApiProperty()
  consumerKey!: string;
  @ApiProperty()
  consumerSecret!: string;
  @ApiProperty()
  accessToken!: string;
  @ApiProperty()
  accessTokenSecret!: string;
}

/** As reads show it: hints of the secrets once activated, never a secret. */
export class IntegrationViewResponse extends IntegrationResponse {
  @ApiProperty({ type: IntegrationHints, nullable: true })
  hints!: IntegrationHints | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  activatedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  reauthorizedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the admin came back from the identity link after an OAuth 1.0a handshake.' })
  confirmedAt!: string | null;
}

export class IntegrationPage extends PageOf(IntegrationViewResponse) {}

class ReauthorizedTokens {
  @ApiProperty({ description: 'Shown this once.' })
  accessToken!: string;
  @ApiProperty({ description: 'Shown this once.' })
  accessTokenSecret!: string;
}

class ActivatedTokens extends ReauthorizedTokens {
  @ApiProperty({ description: 'Shown this once.' })
  consumerKey!: string;
  @ApiProperty({ description: 'Shown this once.' })
  consumerSecret!: string;
}

export class ActivatedIntegrationResponse extends IntegrationResponse {
  @ApiProperty({ type: ActivatedTokens })
  tokens!: ActivatedTokens;
}

export class ReauthorizedIntegrationResponse extends IntegrationResponse {
  @ApiProperty({ type: ReauthorizedTokens })
  tokens!: ReauthorizedTokens;
}

class IntegrationResource {
  @ApiProperty()
  name!: string;
  @ApiProperty()
  description!: string;
  @ApiProperty({ type: [String] })
  permissions!: string[];
}

export class ResourceCatalogue {
  @ApiProperty({ type: [IntegrationResource] })
  items!: IntegrationResource[];
}

export class TenantSettingsResponse {
  @ApiProperty()
  allowAnonymousGuestAccess!: boolean;
  @ApiProperty({ nullable: true, type: Number, description: "The tenant's longest API client secret lifetime, in days; null for the service-wide one." })
  clientSecretMaxLifetimeDays!: number | null;
}

/** Anonymous guests' use of the API on this node since it started. */
export class GuestAccessResponse {
  @ApiProperty()
  allowAnonymousGuestAccess!: boolean;
  @ApiProperty({ type: [String], description: 'The routes a guest may call, as `METHOD /path`.' })
  guestAccessibleRoutes!: string[];
  @ApiProperty({ description: 'Guest requests answered.' })
  served!: number;
  @ApiProperty({ description: 'Guest requests refused because the tenant does not allow guests.' })
  refused!: number;
  @ApiProperty({ description: 'Guest requests refused by the rate limit.' })
  rateLimited!: number;
  @ApiProperty({ format: 'date-time', description: 'When this node started counting.' })
  since!: string;
}

/** RFC 5849 §2.1: the temporary credentials, form-encoded. */
export class OAuth1RequestTokenResponse {
  @ApiProperty({ description: 'The request token.' })
  oauth_token!: string;
  @ApiProperty({ description: 'Shown this once.' })
  oauth_token_secret!: string;
  @ApiProperty({ enum: ['true'] })
  oauth_callback_confirmed!: 'true';
}

/** RFC 5849 §2.3: the token credentials, form-encoded. */
export class OAuth1AccessTokenResponse {
  @ApiProperty({ description: 'The access token.' })
  oauth_token!: string;
  @ApiProperty({ description: 'Shown this once.' })
  oauth_token_secret!: string;
}
