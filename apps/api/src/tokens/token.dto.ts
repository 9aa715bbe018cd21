import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { TOKEN_SCOPES, TokenScope } from '@keyhold/domain';
import { IsInstant } from '../http/instant';
import { PageOf, PageQuery } from '../http/pagination';
import { IsDisplayName, IsVisibleText } from '../http/display-text';

const LABEL_MAX_LENGTH = 100;

export class IssueTokenDto {
  @ApiProperty({ example: 'Power BI on laptop', maxLength: LABEL_MAX_LENGTH })
  @IsDisplayName('label', LABEL_MAX_LENGTH)
  label!: string;

  @ApiProperty({ enum: TOKEN_SCOPES })
  @IsIn(TOKEN_SCOPES)
  scope!: TokenScope;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'ISO 8601 instant; omitted means no expiry.' })
  @IsOptional()
  @IsInstant()
  expiresAt?: string;
}

/** Printable ASCII with no space at either end: visible text, and left as it is by NFKC and trimming. */
const PLAIN_LABEL = new RegExp(`^[!-~](?:[ -~]{0,${LABEL_MAX_LENGTH - 2}}[!-~])?$`);

/**
 * The label and scope of a body that IssueTokenDto's rules certainly accept and its transforms
 * leave as it is (a plain label, a known scope, nothing else), else null. Stricter, never
 * looser: whatever it refuses goes through the validation pipe, which says why.
 */
export const plainIssueTokenBody = (body: unknown): Pick<IssueTokenDto, 'label' | 'scope'> | null => {
  if (typeof body !== 'object' || body === null || Object.keys(body).length !== 2) return null;
  const { label, scope } = body as Record<string, unknown>;
  if (typeof label !== 'string' || !PLAIN_LABEL.test(label)) return null;
  return (TOKEN_SCOPES as readonly unknown[]).includes(scope) ? { label, scope: scope as TokenScope } : null;
};

export class RevokeTokenDto {
  @ApiPropertyOptional({ maxLength: 500, description: 'Why, for auditors: recorded with the revocation like the Keyhold-Reason header (give one or the other, or both alike).', example: 'laptop lost' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsVisibleText('reason')
  reason?: string;
}

export class TokenIdParams {
  @IsUUID()
  id!: string;
}

export class ListTokensQuery extends PageQuery {
  @ApiPropertyOptional({ description: "Whose tokens: 'me' (default) or a user id (needs tokens:read_all)." })
  @IsOptional()
  @Matches(/^(me|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|all)$/i, {
    message: "owner must be 'me', 'all' or a user id",
  })
  owner?: string;
}

/** What a client may see of a token: never the secret, never its hash. */
export class TokenResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', description: 'The user the token belongs to.' })
  ownerId!: string;
  @ApiProperty()
  label!: string;
  @ApiProperty({ enum: TOKEN_SCOPES })
  scope!: TokenScope;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] })
  status!: 'active' | 'revoked' | 'expired';
  @ApiProperty({ example: 'kh_pat_…AbCd', description: 'Enough of the secret to recognise it, never enough to use it.' })
  hint!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt!: string | null;
}

/** The one response that carries the secret. */
export class IssuedTokenResponse extends TokenResponse {
  @ApiProperty({ example: 'kh_pat_…', description: 'The secret, shown this once.' })
  token!: string;
}

export class TokenPage extends PageOf(TokenResponse) {}
