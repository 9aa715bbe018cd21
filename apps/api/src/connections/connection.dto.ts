import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath, IntersectionType, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CREDENTIAL_SECRET_FIELDS, CREDENTIAL_SETTING_FIELDS, CREDENTIAL_TYPES, CredentialType, DOMAIN_PATTERN, HOST_PATTERN, MAX_ALLOWED_DOMAINS } from '@keyhold/domain';
import { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { PageOf, PageQuery } from '../http/pagination';
import { IsDisplayName, IsVisibleText } from '../http/display-text';

/** A header field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An OAuth scope token (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Secrets are sent as given, but never with line breaks or other control characters (header injection). */
const SECRET_TEXT = /^[^\p{Cc}]+$/u;

const lowerTrimAll = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item.trim().toLowerCase().replace(/\.$/, '') : item)) : value;

const HTTPS_URL = { protocols: ['https'], require_protocol: true, require_tld: true, disallow_auth: true, allow_fragments: false };
/** http is let through here only for the controller to refuse it unless it goes to loopback with OUTBOUND_ALLOW_LOOPBACK. */
const TOKEN_URL = { ...HTTPS_URL, protocols: ['https', 'http'] };

/** A secret field: its value is never echoed in an error (the validation pipe drops values). */
const Secret = (name: string, maxLength: number): PropertyDecorator => {
  const decorators = [
    IsString(),
    MinLength(1),
    MaxLength(maxLength),
    Matches(SECRET_TEXT, { message: `${name} must not contain control characters` }),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
};

class CredentialBase {
  @ApiProperty({ enum: CREDENTIAL_TYPES })
  @IsIn(CREDENTIAL_TYPES)
  type!: CredentialType;
}

export class ApiKeyCredentialDto extends CredentialBase {
  declare type: 'api_key';

  @ApiProperty({ example: 'X-Api-Key', description: 'The header the key is sent in.' })
  @IsString()
  @MaxLength(100)
  @Matches(HEADER_NAME, { message: 'headerName must be an HTTP header name' })
  headerName!: string;

  @ApiProperty({ writeOnly: true })
  @Secret('apiKey', 4096)
  apiKey!: string;
}

export class BasicAuthCredentialDto extends CredentialBase {
  declare type: 'basic_auth';

  @ApiProperty({ writeOnly: true, description: 'A secret too: it is half a login.' })
  @Secret('username', 256)
  @Matches(/^[^:]*$/, { message: 'username must not contain a colon (RFC 7617)' })
  username!: string;

  @ApiProperty({ writeOnly: true })
  @Secret('password', 1024)
  password!: string;
}

export class BearerTokenCredentialDto extends CredentialBase {
  declare type: 'bearer_token';

  @ApiProperty({ writeOnly: true })
  @Secret('token', 4096)
  token!: string;
}

export class OAuth2CredentialDto extends CredentialBase {
  declare type: 'oauth2';

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @IsVisibleText('clientId')
  clientId!: string;

  @ApiProperty({ writeOnly: true })
  @Secret('clientSecret', 1024)
  clientSecret!: string;

  @ApiProperty({ example: 'https://accounts.example.com/oauth/token', description: 'https, on one of the allowed domains.' })
  @IsString()
  @MaxLength(2048)
  @IsUrl(TOKEN_URL, { message: 'tokenUrl must be an https URL' })
  tokenUrl!: string;

  @ApiProperty({ type: [String], example: ['read_orders'] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  @Matches(SCOPE_TOKEN, { each: true, message: 'each scope must be an OAuth scope token' })
  scopes!: string[];

  @ApiPropertyOptional({ writeOnly: true, description: 'The stored refresh token, if one was obtained already.' })
  @IsOptional()
  @Secret('refreshToken', 4096)
  refreshToken?: string;
}

export type CredentialDto = ApiKeyCredentialDto | BasicAuthCredentialDto | BearerTokenCredentialDto | OAuth2CredentialDto;

class ConnectionFieldsDto {
  @ApiProperty({ example: 'Slack alerts', maxLength: 100 })
  @IsDisplayName('name', 100)
  name!: string;

  @ApiProperty({ example: 'slack', description: 'The service the credential is for, free text.', maxLength: 100 })
  @IsDisplayName('service', 100)
  service!: string;

  @ApiProperty({ type: [String], example: ['slack.com', '*.slack.com'], description: 'Where the credential may be sent: host names or *.domain wildcards.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ALLOWED_DOMAINS)
  @Transform(lowerTrimAll)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  @Matches(DOMAIN_PATTERN, { each: true, message: 'each allowed domain must be a host name (api.example.com) or a wildcard (*.example.com)' })
  allowedDomains!: string[];
}

const CREDENTIAL_VARIANTS = {
  api_key: ApiKeyCredentialDto,
  basic_auth: BasicAuthCredentialDto,
  bearer_token: BearerTokenCredentialDto,
  oauth2: OAuth2CredentialDto,
} as const satisfies Record<CredentialType, new () => CredentialBase>;
// Each variant's `type` is documented as its one value, so that the document's discriminator maps it.
for (const [type, dto] of Object.entries(CREDENTIAL_VARIANTS)) {
  ApiProperty({ enum: [type], description: 'Which kind of credential: decides the other fields.' })(dto.prototype, 'type');
}

@ApiExtraModels(...Object.values(CREDENTIAL_VARIANTS))
export class CreateConnectionDto extends ConnectionFieldsDto {
  @ApiProperty({
    description: 'One credential; its type decides its fields.',
    oneOf: Object.values(CREDENTIAL_VARIANTS).map((dto) => ({ $ref: getSchemaPath(dto) })),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(Object.entries(CREDENTIAL_VARIANTS).map(([type, dto]) => [type, getSchemaPath(dto)])) },
  })
  @IsObject()
  @ValidateNested()
  @Type(() => CredentialBase, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'type',
      subTypes: Object.entries(CREDENTIAL_VARIANTS).map(([name, value]) => ({ name, value })),
    },
  })
  credential!: CredentialDto;
}

/**
 * Credential fields to change: every field of every credential type, each optional and checked
 * as at creation. Secrets sent are replaced, secrets not sent are kept; `type`, `tokenUrl` and
 * `scopes` are fixed after creation (only a repeat of the current value is accepted).
 */
export class CredentialPatchDto extends PartialType(
  IntersectionType(
    CredentialBase,
    OmitType(ApiKeyCredentialDto, ['type']),
    OmitType(BasicAuthCredentialDto, ['type']),
    OmitType(BearerTokenCredentialDto, ['type']),
    OmitType(OAuth2CredentialDto, ['type']),
  ),
) {}

export class UpdateConnectionDto extends PartialType(ConnectionFieldsDto) {
  @ApiPropertyOptional({ type: CredentialPatchDto })
  @ValidateIf((patch: UpdateConnectionDto) => patch.credential !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => CredentialPatchDto)
  credential?: CredentialPatchDto;
}

export class AccessConnectionDto {
  @ApiProperty({ example: 'hooks.slack.com', description: 'The host the caller is about to send the credential to.' })
  @IsString()
  @MaxLength(253)
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase().replace(/\.$/, '') : value))
  @Matches(HOST_PATTERN, { message: 'domain must be a host name such as api.example.com' })
  domain!: string;
}

export class ConnectionParams {
  @IsUUID()
  id!: string;
}

const SETTING_SCHEMAS: Readonly<Record<string, SchemaObject>> = {
  headerName: { type: 'string', description: 'The header the key is sent in.' },
  clientId: { type: 'string' },
  tokenUrl: { type: 'string', format: 'uri' },
  scopes: { type: 'array', items: { type: 'string' } },
};

/** Filters of the OAuth clients' list. */
export class OAuthClientsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the OAuth clients of connections to this service.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  service?: string;

  @ApiPropertyOptional({ description: 'Only the OAuth clients with this client ID.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  clientId?: string;
}

/** The seed's rule: after creation, an OAuth client's client ID and client secret only. */
export class UpdateOAuthClientDto {
  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @IsVisibleText('clientId')
  clientId?: string;

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @Secret('clientSecret', 1024)
  clientSecret?: string;
}

/** One schema per credential type, from the domain's lists of settings and secret fields, plus `fields` of its own. */
const credentialVariants = (fields: (type: CredentialType) => { properties: Record<string, SchemaObject>; required: string[] }): SchemaObject[] =>
  CREDENTIAL_TYPES.map((type) => {
    const settings = CREDENTIAL_SETTING_FIELDS[type];
    const own = fields(type);
    return {
      type: 'object',
      required: ['type', ...settings, ...own.required],
      properties: { type: { type: 'string', enum: [type] }, ...Object.fromEntries(settings.map((field) => [field, SETTING_SCHEMAS[field]])), ...own.properties },
    };
  });
const secretFieldsOf = (type: CredentialType) => [...CREDENTIAL_SECRET_FIELDS[type].required, ...CREDENTIAL_SECRET_FIELDS[type].optional];
/** Whether each of a type's secret fields is set: what reads show instead of the secrets. */
const secretsSetSchema = (type: CredentialType) => ({
  type: 'object' as const,
  required: secretFieldsOf(type),
  properties: Object.fromEntries(secretFieldsOf(type).map((field) => [field, { type: 'boolean' as const }])),
});

/** What reads show of a connection: never a secret, only whether each secret field is set. */
export class ConnectionResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty()
  service!: string;
  @ApiProperty({ type: [String] })
  allowedDomains!: string[];
  @ApiProperty({
    description: "The credential's settings, and which of its secrets are set; its type decides its fields.",
    oneOf: credentialVariants((type) => ({
      properties: { secretsSet: secretsSetSchema(type) },
      required: ['secretsSet'],
    })),
  })
  credential!: { type: CredentialType; [setting: string]: unknown; secretsSet: Record<string, boolean> };
  @ApiProperty({ enum: ['active', 'deleted'] })
  status!: 'active' | 'deleted';
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastAccessedAt!: string | null;
}

export class ConnectionPage extends PageOf(ConnectionResponse) {}

/** An OAuth 2.0 connection's client, as its own resource: settings and which secrets are set, never a secret. */
export class OAuthClientResponse extends PickType(ConnectionResponse, ['name', 'service', 'createdAt', 'updatedAt', 'lastAccessedAt']) {
  @ApiProperty({ format: 'uuid' })
  connectionId!: string;
  @ApiProperty()
  clientId!: string;
  @ApiProperty({ format: 'uri' })
  tokenUrl!: string;
  @ApiProperty({ type: [String] })
  scopes!: string[];
  @ApiProperty(secretsSetSchema('oauth2'))
  secretsSet!: Record<string, boolean>;
}

export class OAuthClientPage extends PageOf(OAuthClientResponse) {}

const secretsOf = (type: CredentialType) => ({
  properties: Object.fromEntries(secretFieldsOf(type).map((field) => [field, { type: 'string' }])),
  required: [...CREDENTIAL_SECRET_FIELDS[type].required],
});

/** The decrypted credential for one allowed domain, as connections:reveal shows it: the settings and the secrets themselves. */
export class RevealedConnectionResponse {
  @ApiProperty({ format: 'uuid' })
  connectionId!: string;
  @ApiProperty()
  service!: string;
  @ApiProperty()
  domain!: string;
  @ApiProperty({ description: 'The settings and the secrets themselves; its type decides its fields.', oneOf: credentialVariants(secretsOf) })
  credential!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Ready-to-send headers (none for oauth2, which exchanges its secret first).' })
  headers!: Record<string, string>;
  @ApiProperty({ format: 'date-time' })
  accessedAt!: string;
}

/** What connections:use hands out: as a reveal, except that an OAuth 2.0 connection gives a short-lived access token, never its client secret. */
export class AccessedConnectionResponse extends OmitType(RevealedConnectionResponse, ['credential']) {
  @ApiProperty({
    description: 'The settings and the secrets themselves (oauth2: its settings only); its type decides its fields.',
    oneOf: credentialVariants((type) => (type === 'oauth2' ? { properties: {}, required: [] } : secretsOf(type))),
  })
  credential!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'oauth2 only: obtained from the token URL for this call.' })
  accessToken?: string;
  @ApiPropertyOptional({ description: 'oauth2 only.', example: 'Bearer' })
  tokenType?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'oauth2 only.' })
  expiresAt?: string;
}
