import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { IsString, Matches } from 'class-validator';
import { assertNever } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { CurrentPrincipal, Public } from '../http/auth';
import { publicBaseUrl } from '../http/public-url';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { CsrfTokens, readCookies, secureCookies, SESSION_COOKIE } from '../sign-in/browser-cookies';
import { errorPage, html, sendPage } from '../sign-in/html';
import { AuthorizationRequest, checkAuthorizationRequest, redirectWith } from './authorization-request';
import { GetUserInfo, grantIdFor, PeopleClients, PeopleGrants, Sessions, SessionUser } from '@keyhold/application';
import { OidcSigning } from './oidc';
import { JsonWebKeySet, UserInfoResponse } from '../oauth/oauth.dto';

type Params = Record<string, unknown>;

/** What each scope lets the client do, for the consent page. */
const describeScope = (scope: string) => (scope === 'openid' ? 'know who you are (OpenID Connect)' : scope);

export class GrantClientParams {
  @IsString()
  @Matches(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|keyhold-console)$/, { message: 'clientId must be an API client id' })
  clientId!: string;
}

/**
 * RFC 6749 §4.1 authorization endpoint for people, with the consent page; and withdrawal of
 * consent. Errors that cannot be trusted to a redirect are pages; the rest go back to the
 * client with `state` and `iss` (RFC 9207).
 */
@ApiTags('OAuth 2.0')
@Controller()
export class AuthorizeController {
  constructor(
    private readonly clients: PeopleClients,
    private readonly grants: PeopleGrants,
    private readonly sessions: Sessions,
    private readonly csrf: CsrfTokens,
    private readonly oidc: OidcSigning,
    private readonly userInfo: GetUserInfo,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Get('oauth/authorize')
  @Public()
  @ApiExcludeEndpoint()
  async authorize(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Params, @CurrentRequestContext() context: RequestContext) {
    const checked = await this.check(request, reply, query);
    if (!checked) return reply;
    const session = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (!session) {
      const organisation = checked.client.tenantSlug ? `&organisation=${encodeURIComponent(checked.client.tenantSlug)}` : '';
      return reply.status(303).header('Location', `/signin?return_to=${encodeURIComponent(request.url)}${organisation}`).send();
    }
    return this.proceed(request, reply, checked, session, context);
  }

  /** The consent page's answer. */
  @Post('oauth/authorize')
  @Public()
  @ApiExcludeEndpoint()
  async decide(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Params, @CurrentRequestContext() context: RequestContext) {
    if (!this.csrf.verify(request, form?.csrf, publicBaseUrl(this.config))) {
      throw new Problem('csrf-failed', 'The form could not be verified (it is stale, or was sent from another site); reload the page and try again.');
    }
    const checked = await this.check(request, reply, form ?? {});
    if (!checked) return reply;
    const session = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (!session) return reply.status(303).header('Location', '/signin').send();
    if (form.decision !== 'allow') return this.redirectError(request, reply, checked, 'access_denied', 'The user declined.');
    const grant = { tenantId: session.tenantId, userId: session.userId, clientId: checked.client.clientId, grantId: grantIdFor(session.tenantId, session.userId, checked.client.clientId) };
    await this.grants.consent(grant, checked.scope, { ...context, actorId: session.userId });
    return this.proceed(request, reply, checked, session, context);
  }

  /** The public keys ID tokens are signed with (RFC 7517): the current one and the previous one while its tokens may live. */
  @Get('oauth/jwks')
  @Public()
  @ApiOkResponse({ type: JsonWebKeySet })
  jwks() {
    return this.oidc.jwks();
  }

  /** OpenID Connect Core §5.3: who the access token's user is; needs the `openid` scope. */
  @Get('oauth/userinfo')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserInfoResponse })
  userinfo(@CurrentPrincipal() principal: Principal) {
    const { tenantId, actor, credential, scope } = principal;
    return this.userInfo.execute({ tenantId, userId: actor.id, credentialKind: credential.kind, scope });
  }

  /** Withdraws the caller's consent to a client: every token issued under it is revoked at once. */
  @Delete('v1/me/grants/:clientId')
  @ApiBearerAuth()
  @HttpCode(204)
  async withdraw(@CurrentPrincipal() principal: Principal, @Param() params: GrantClientParams, @CurrentRequestContext() context: RequestContext) {
    await this.grants.withdraw(principal.tenantId, principal.actor.id, params.clientId, context);
  }

  /** The valid request, or null once the failure has been answered (an error page, or a redirect with the error). */
  private async check(request: FastifyRequest, reply: FastifyReply, params: Params): Promise<AuthorizationRequest | null> {
    const clientId = typeof params.client_id === 'string' ? params.client_id : '';
    const client = clientId ? await this.clients.find(clientId, publicBaseUrl(this.config)) : null;
    const checked = checkAuthorizationRequest(params, client);
    switch (checked.outcome) {
      case 'valid':
        return checked.request;
      case 'error-page':
        errorPage(reply, 400, 'This sign-in request cannot be used', checked.message);
        return null;
      case 'redirect-error':
        this.redirectError(request, reply, checked, checked.error, checked.description);
        return null;
      default:
        return assertNever(checked);
    }
  }

  private async proceed(request: FastifyRequest, reply: FastifyReply, checked: AuthorizationRequest, session: SessionUser, context: RequestContext) {
    if (checked.client.tenantId !== null && checked.client.tenantId !== session.tenantId) {
      return this.redirectError(request, reply, checked, 'access_denied', 'You are signed in to another organisation than this application’s.');
    }
    const code = await this.grants.issueCode(session.tenantId, session.userId, checked, context);
    if (code === null) return this.consentPage(request, reply, checked);
    return reply.status(303).header('Location', redirectWith(checked.redirectUri, { code, state: checked.state, iss: publicBaseUrl(this.config) })).send();
  }

  private redirectError(request: FastifyRequest, reply: FastifyReply, checked: Pick<AuthorizationRequest, 'redirectUri' | 'state'>, error: string, description: string) {
    const location = redirectWith(checked.redirectUri, { error, error_description: description, state: checked.state, iss: publicBaseUrl(this.config) });
    return reply.status(303).header('Location', location).send();
  }

  private consentPage(request: FastifyRequest, reply: FastifyReply, checked: AuthorizationRequest) {
    const csrf = this.csrf.tokenFor(request, reply, secureCookies(publicBaseUrl(this.config)));
    const hidden = Object.entries({
      response_type: 'code',
      client_id: checked.client.clientId,
      redirect_uri: checked.redirectUri,
      scope: checked.scope.join(' '),
      state: checked.state,
      code_challenge: checked.codeChallenge,
      code_challenge_method: checked.codeChallenge ? 'S256' : null,
      nonce: checked.nonce,
      csrf,
    })
      .filter((entry): entry is [string, string] => entry[1] !== null)
      .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
    return sendPage(reply, {
      title: 'Allow access',
      formTargets: [new URL(checked.redirectUri).origin],
      body: html`<h1>Allow <span id="client-name">${checked.client.name}</span> to use your Keyhold account?</h1>
<p>It asks to:</p><ul id="scopes">${checked.scope.map((scope) => html`<li>${describeScope(scope)}</li>`)}</ul>
<p>It will never get more than your own rights, and you can withdraw this at any time.</p>
<form method="post" action="/oauth/authorize">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></form>`,
    });
  }
}
