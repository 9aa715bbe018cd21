import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { OAuthForm } from '../http/validation';

/** client_secret_post's fields, on every endpoint where an OAuth client authenticates. */
class ClientAuthenticationFields {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  client_secret?: string;
}

/** Form fields of the token endpoint; unknown grant types are answered by the controller. */
@OAuthForm()
export class TokenRequest extends ClientAuthenticationFields {
  @IsString()
  @MaxLength(64)
  grant_type!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, { message: 'scope must be space-separated scope tokens (RFC 6749 §3.3)' })
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
  @IsString()
  @MaxLength(512)
  token!: string;

  /**
   * RFC 7009 §2.1: only a hint. Every kind of token this endpoint revokes is searched whatever
   * it says, so an unknown or wrong hint widens nothing and refuses nothing.
   */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}
