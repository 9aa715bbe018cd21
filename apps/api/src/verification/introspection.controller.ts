import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Principal } from './credential-index';
import { CredentialIndexService } from './credential-index.service';
import { UsageRecorder } from './usage-recorder';

export class IntrospectionRequest {
  /** Long enough for any credential we issue; longer input is not one of ours. */
  @IsString()
  @MaxLength(512)
  token!: string;

  @IsOptional()
  @IsIn(['access_token', 'refresh_token', 'personal_access_token'])
  token_type_hint?: string;
}

const INACTIVE = { active: false } as const;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * RFC 7662 token introspection for the callers that hold `tokens:introspect`. Within the
 * caller's tenant only: another tenant's token is as inactive as an unknown one, and an
 * inactive answer says nothing more (RFC 7662 §2.2).
 */
@ApiTags('OAuth 2.0')
@ApiBearerAuth()
@Controller('oauth')
export class IntrospectionController {
  constructor(
    private readonly credentials: CredentialIndexService,
    private readonly usage: UsageRecorder,
  ) {}

  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @RequirePermissions('tokens:introspect')
  introspect(@CurrentPrincipal() caller: Principal, @Body() body: IntrospectionRequest) {
    const now = new Date().toISOString();
    const subject = this.credentials.verify(body.token, now);
    if (!subject || subject.tenantId !== caller.tenantId) return INACTIVE;
    this.usage.record(subject.tokenId, now);
    return {
      active: true,
      scope: subject.scope,
      sub: subject.userId,
      iat: epochSeconds(subject.issuedAt),
      ...(subject.expiresAt ? { exp: epochSeconds(subject.expiresAt) } : {}),
      token_type: 'Bearer',
      jti: subject.tokenId,
      tenant_id: subject.tenantId,
      credential_kind: 'personal_api_token',
      /** The owner's current rights narrowed by the scope: what the bearer may do right now. */
      permissions: [...subject.permissions].sort(),
    };
  }
}
