import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { OAuthForm } from '../http/validation';

/** The token form's limits, shared by its validation and the route's fast path. */
export const TOKEN_FORM_LIMITS = {
  grant_type: 64,
  scope: 2000,
  client_id: 128,
  client_secret: 512,
} as const;

/** RFC 6749 §3.3: space-separated scope tokens. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** client_secret_post's fields, on every endpoint where an OAuth client authenticates. */
class ClientAuthenticationFields {
  @ApiPropertyOptional({ maxLength: TOKEN_FORM_LIMITS.client_id, description: 'client_secret_post; or send both in an Authorization: Basic header (client_secret_basic).' })
  @IsOptional()
  @IsString()
  @MaxLength(TOKEN_FORM_LIMITS.client_id)
  client_id?: string;

  @ApiPropertyOptional({ maxLength: TOKEN_FORM_LIMITS.client_secret, writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(TOKEN_FORM_LIMITS.client_secret)
  client_secret?: string;
}

/** Form fields of the token endpoint; unknown grant types are answered by the controller. */
@OAuthForm()
export class TokenRequest extends ClientAuthenticationFields {
  @ApiProperty({ example: 'client_credentials', description: 'Only client_credentials is served here.' })
  @IsString()
  @MaxLength(TOKEN_FORM_LIMITS.grant_type)
  grant_type!: string;

  @ApiPropertyOptional({ example: 'tokens:introspect', description: "Space-separated permissions, within what the client holds; none asked means all it holds." })
  @IsOptional()
  @IsString()
  @MaxLength(TOKEN_FORM_LIMITS.scope)
  @Matches(SCOPE_PATTERN, { message: 'scope must be space-separated scope tokens (RFC 6749 §3.3)' })
  scope?: string;

  // Fields of grants this endpoint refuses; accepted here so the refusal is the grant's, not the form's.
  @IsOptional() @IsString() @MaxLength(2048) code?: string;
  @IsOptional() @IsString() @MaxLength(2048) redirect_uri?: string;
  @IsOptional() @IsString() @MaxLength(256) code_verifier?: string;
  @IsOptional() @IsString() @MaxLength(2048) refresh_token?: string;
  @IsOptional() @IsString() @MaxLength(256) username?: string;
  @IsOptional() @IsString() @MaxLength(1024) password?: string;
}

@OAuthForm()
export class RevocationRequest extends ClientAuthenticationFields {
  @ApiProperty({ maxLength: 512, writeOnly: true, description: 'An access token this client holds.' })
  @IsString()
  @MaxLength(512)
  token!: string;

  /**
   * RFC 7009 §2.1: only a hint. Every kind of token this endpoint revokes is searched whatever
   * it says, so an unknown or wrong hint widens nothing and refuses nothing.
   */
  @ApiPropertyOptional({ description: 'A hint only (RFC 7009 §2.1): every kind of token is searched whatever it says.', example: 'access_token' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}

/** RFC 6749 §5.1. */
export class AccessTokenResponse {
  @ApiProperty({ example: 'kh_at_…', description: 'Shown this once.' })
  access_token!: string;
  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';
  @ApiProperty({ description: 'Seconds until it expires.' })
  expires_in!: number;
  @ApiProperty({ description: 'The permissions granted, space-separated.' })
  scope!: string;
  @ApiPropertyOptional({ description: "RFC 6749 §6: for people's grants that allow refreshing. Shown this once." })
  refresh_token?: string;
  @ApiPropertyOptional({ description: 'OpenID Connect Core §3.1.3.3: a signed JWT about the user, when `openid` was granted.' })
  id_token?: string;
}

/** RFC 7009 §2.2: an empty body, whether or not the token was known. */
export class RevocationResponse {}

/** RFC 8414 authorization server metadata. */
export class AuthorizationServerMetadata {
  @ApiProperty({ format: 'uri' })
  issuer!: string;
  @ApiProperty({ format: 'uri' })
  authorization_endpoint!: string;
  @ApiProperty({ format: 'uri' })
  token_endpoint!: string;
  @ApiProperty({ type: [String] })
  token_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ type: [String] })
  grant_types_supported!: string[];
  @ApiProperty({ type: [String] })
  response_types_supported!: string[];
  @ApiProperty({ type: [String] })
  response_modes_supported!: string[];
  @ApiProperty({ type: [String] })
  code_challenge_methods_supported!: string[];
  @ApiProperty({ description: 'RFC 9207: authorization responses carry `iss`.' })
  authorization_response_iss_parameter_supported!: boolean;
  @ApiProperty({ type: [String] })
  scopes_supported!: string[];
  @ApiProperty({ format: 'uri' })
  jwks_uri!: string;
  @ApiProperty({ format: 'uri' })
  revocation_endpoint!: string;
  @ApiProperty({ type: [String] })
  revocation_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ format: 'uri' })
  introspection_endpoint!: string;
  @ApiProperty({ type: [String] })
  introspection_endpoint_auth_methods_supported!: string[];
  @ApiProperty({ format: 'uri' })
  service_documentation!: string;
}

/** OpenID Connect Discovery 1.0 §3: the RFC 8414 metadata and what ID tokens and userinfo need. */
export class OpenIdConfiguration extends AuthorizationServerMetadata {
  @ApiProperty({ format: 'uri' })
  userinfo_endpoint!: string;
  @ApiProperty({ type: [String] })
  subject_types_supported!: string[];
  @ApiProperty({ type: [String] })
  id_token_signing_alg_values_supported!: string[];
  @ApiProperty({ type: [String] })
  claims_supported!: string[];
}

/** RFC 7517 §4 and RFC 7518 §6.2.1: a public EC key that ID tokens are signed with. */
class JsonWebKey {
  @ApiProperty({ enum: ['EC'] })
  kty!: string;
  @ApiProperty({ example: 'P-256' })
  crv!: string;
  @ApiProperty({ description: 'base64url' })
  x!: string;
  @ApiProperty({ description: 'base64url' })
  y!: string;
  @ApiProperty()
  kid!: string;
  @ApiProperty({ example: 'ES256' })
  alg!: string;
  @ApiProperty({ enum: ['sig'] })
  use!: string;
}

/** RFC 7517 §5: the JWK set. */
export class JsonWebKeySet {
  @ApiProperty({ type: [JsonWebKey] })
  keys!: JsonWebKey[];
}

/** OpenID Connect Core §5.3.2: the claims about the access token's user. */
export class UserInfoResponse {
  @ApiProperty({ format: 'uuid', description: "The user's id." })
  sub!: string;
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;
  @ApiPropertyOptional({ format: 'email' })
  email?: string;
}
