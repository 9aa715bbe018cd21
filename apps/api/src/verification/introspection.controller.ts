import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SecretKind } from '@keyhold/crypto';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Principal } from './principal';
import { CredentialIndexService } from './credential-index.service';
import { OAuthIndex } from './oauth-index';
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

/** How introspection names each kind of credential (a published contract: never rename). */
const CREDENTIAL_KIND_NAMES: Record<SecretKind, string> = {
  personalApiToken: 'personal_api_token',
  accessToken: 'access_token',
  clientSecret: 'client_secret',
  integrationConsumerKey: 'integration_consumer_key',
  integrationConsumerSecret: 'integration_consumer_secret',
  integrationAccessToken: 'integration_access_token',
  integrationAccessTokenSecret: 'integration_access_token_secret',
  invitationCode: 'invitation_code',
  sessionSecret: 'session_secret',
  userAccessToken: 'access_token',
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
};
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
    private readonly oauth: OAuthIndex,
    private readonly usage: UsageRecorder,
  ) {}

  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @RequirePermissions('tokens:introspect')
  async introspect(@CurrentPrincipal() caller: Principal, @Body() body: IntrospectionRequest) {
    const now = new Date().toISOString();
    const subject = await this.credentials.verify(body.token, now);
    if (!subject || subject.tenantId !== caller.tenantId) return INACTIVE;
    this.usage.record(subject.credential.id, now);
    return {
      active: true,
      scope: subject.scope,
      sub: subject.actor.id,
      iat: epochSeconds(subject.issuedAt),
      ...(subject.expiresAt ? { exp: epochSeconds(subject.expiresAt) } : {}),
      token_type: 'Bearer',
      jti: subject.credential.id,
      tenant_id: subject.tenantId,
      actor_kind: subject.actor.kind,
      ...(subject.actor.kind === 'user' ? {} : { client_id: subject.actor.id }),
      ...(subject.actor.kind === 'service_account' ? { projects: this.oauth.projectsOf(subject.actor.id) } : {}),
      credential_kind: CREDENTIAL_KIND_NAMES[subject.credential.kind],
      /** The owner's current rights narrowed by the scope: what the bearer may do right now. */
      permissions: [...subject.permissions].sort(),
    };
  }
}
