import { Body, Controller, Header, HttpCode, Injectable, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Permission } from '@keyhold/domain';
import { SecretKind } from '@keyhold/crypto';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { OAuthForm } from '../http/validation';
import { ActorKind, Principal } from './principal';
import { CredentialIndexService } from './credential-index.service';
import { OAuthIndex } from './oauth-index';
import { UsageRecorder } from './usage-recorder';

/** How introspection names each kind of credential (a published contract: never rename). */
const CREDENTIAL_KIND_NAMES: Record<SecretKind, string> = {
  personalApiToken: 'personal_api_token',
  accessToken: 'access_token',
  clientSecret: 'client_secret',
  integrationConsumerKey: 'integration_consumer_key',
  integrationConsumerSecret: 'integration_consumer_secret',
  integrationRequestToken: 'integration_request_token',
  integrationRequestTokenSecret: 'integration_request_token_secret',
  integrationVerifier: 'integration_verifier',
  integrationReturnState: 'integration_return_state',
  integrationAccessToken: 'integration_access_token',
  integrationAccessTokenSecret: 'integration_access_token_secret',
  invitationCode: 'invitation_code',
  sessionSecret: 'session_secret',
  userAccessToken: 'access_token',
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
};
/** Long enough for any credential we issue; longer input is not one of ours. */
const TOKEN_MAX_LENGTH = 512;
const HINT_MAX_LENGTH = 64;

@OAuthForm()
export class IntrospectionRequest {
  @ApiProperty({ maxLength: TOKEN_MAX_LENGTH, description: 'The credential to look at: any kind this service issues.' })
  @IsString()
  @MaxLength(TOKEN_MAX_LENGTH)
  token!: string;

  /** RFC 7662 §2.1: a hint only; every kind of credential is looked up whatever it says. */
  @ApiPropertyOptional({ maxLength: HINT_MAX_LENGTH, description: 'A hint only: every kind of credential is looked up whatever it says.', example: 'access_token' })
  @IsOptional()
  @IsString()
  @MaxLength(HINT_MAX_LENGTH)
  token_type_hint?: string;
}

/**
 * The token of a form body that IntrospectionRequest's rules certainly accept (as the OAuth
 * form reads it: empty fields omitted, unknown ones ignored), else null. Stricter, never
 * looser: whatever it refuses goes through the validation pipe, which says why.
 */
export const plainlyValidToken = (body: unknown): string | null => {
  if (typeof body !== 'object' || body === null) return null;
  const { token, token_type_hint: hint } = body as Record<string, unknown>;
  if (typeof token !== 'string' || token === '' || token.length > TOKEN_MAX_LENGTH) return null;
  if (hint !== undefined && hint !== '' && (typeof hint !== 'string' || hint.length > HINT_MAX_LENGTH)) return null;
  return token;
};

/** RFC 7662 §2.2: `active` alone when the credential is not usable (or not the caller's tenant's); the rest when it is. */
export class IntrospectionResponse {
  @ApiProperty()
  active!: boolean;
  @ApiPropertyOptional({ description: 'Space-separated.' })
  scope?: string;
  @ApiPropertyOptional({ description: 'The actor the credential speaks for.' })
  sub?: string;
  @ApiPropertyOptional({ description: 'Issued at, seconds since the epoch.' })
  iat?: number;
  @ApiPropertyOptional({ description: 'Expires at, seconds since the epoch; absent for a credential without expiry.' })
  exp?: number;
  @ApiPropertyOptional({ enum: ['Bearer'] })
  token_type?: 'Bearer';
  @ApiPropertyOptional({ description: "The credential's id." })
  jti?: string;
  @ApiPropertyOptional()
  tenant_id?: string;
  @ApiPropertyOptional({ enum: ['user', 'service_account', 'api_client', 'integration'] })
  actor_kind?: ActorKind;
  @ApiPropertyOptional({ description: "The OAuth client: the actor itself when it is one, or the client through which a person obtained the token; absent for a personal API token." })
  client_id?: string;
  @ApiPropertyOptional({ type: [String], description: "A service account's projects." })
  projects?: string[];
  @ApiPropertyOptional({ enum: Object.values(CREDENTIAL_KIND_NAMES) })
  credential_kind?: string;
  @ApiPropertyOptional({ type: [String], description: "The owner's current rights narrowed by the scope: what the bearer may do right now." })
  permissions?: string[];
}

const text = { type: 'string' } as const;
const texts = { type: 'array', items: text } as const;
const seconds = { type: 'number' } as const;

/**
 * IntrospectionResponse as a JSON schema, for Fastify to compile the 200 answer's serializer
 * (fast-json-stringify) instead of running JSON.stringify on the hottest route. A property
 * missing here would be dropped from every answer: the unit spec holds it to the class.
 */
export const INTROSPECTION_RESPONSE_SCHEMA = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    scope: text,
    sub: text,
    iat: seconds,
    exp: seconds,
    token_type: text,
    jti: text,
    tenant_id: text,
    actor_kind: text,
    client_id: text,
    projects: texts,
    credential_kind: text,
    permissions: texts,
  },
} as const;

const INACTIVE = { active: false } as const;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * A permission set as introspection lists it, sorted, made once per set: personal tokens share
 * one set per role and scope, so the hottest answers sort nothing. A principal's sets are never
 * changed (a narrowed one is a new set), so a listing made once stays true.
 */
const sortedPermissions = new WeakMap<ReadonlySet<Permission>, readonly string[]>();
const listed = (permissions: ReadonlySet<Permission>): readonly string[] => {
  let sorted = sortedPermissions.get(permissions);
  if (sorted === undefined) {
    sorted = [...permissions].sort();
    sortedPermissions.set(permissions, sorted);
  }
  return sorted;
};

/** RFC 7662 §2.2 `client_id`: the client that asked for the token, the actor itself unless a person holds it. */
const clientIdOf = (subject: Principal): string | undefined => (subject.actor.kind === 'user' ? subject.clientId : subject.actor.id);

/** Who may introspect, and where the route is: the controller and the fast path share them. */
export const INTROSPECTION_PERMISSIONS: readonly Permission[] = ['tokens:introspect'];
export const INTROSPECTION_ROUTE = '/oauth/introspect';

/**
 * RFC 7662 token introspection for the callers that hold `tokens:introspect`. Within the
 * caller's tenant only: another tenant's token is as inactive as an unknown one, and an
 * inactive answer says nothing more (RFC 7662 §2.2).
 */
@Injectable()
export class Introspection {
  constructor(
    private readonly credentials: CredentialIndexService,
    private readonly oauth: OAuthIndex,
    private readonly usage: UsageRecorder,
  ) {}

  /** `now`: the instant the caller was verified at, so that one request judges both credentials at the same instant. */
  async answer(caller: Principal, token: string, now: string): Promise<IntrospectionResponse> {
    const subject = await this.credentials.verify(token, now);
    if (!subject || subject.tenantId !== caller.tenantId) return INACTIVE;
    this.usage.record(subject.credential.id, now);
    const clientId = clientIdOf(subject);
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
      ...(clientId !== undefined ? { client_id: clientId } : {}),
      ...(subject.actor.kind === 'service_account' ? { projects: this.oauth.projectsOf(subject.actor.id) } : {}),
      credential_kind: CREDENTIAL_KIND_NAMES[subject.credential.kind],
      /** The owner's current rights narrowed by the scope: what the bearer may do right now. */
      permissions: [...listed(subject.permissions)],
    };
  }
}

/** The route as the API describes it, and its answer for whatever the fast path hands on (see IntrospectionFastPath). */
@ApiTags('OAuth 2.0')
@ApiBearerAuth()
@Controller('oauth')
export class IntrospectionController {
  constructor(private readonly introspection: Introspection) {}

  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @RequirePermissions(...INTROSPECTION_PERMISSIONS)
  @RouteSchema({ response: { 200: INTROSPECTION_RESPONSE_SCHEMA } })
  @ApiOkResponse({ type: IntrospectionResponse })
  introspect(@CurrentPrincipal() caller: Principal, @Body() body: IntrospectionRequest): Promise<IntrospectionResponse> {
    return this.introspection.answer(caller, body.token, new Date().toISOString());
  }
}
