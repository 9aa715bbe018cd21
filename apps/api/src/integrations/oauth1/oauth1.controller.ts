import { Controller, Get, Header, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { RejectionCode } from '@keyhold/domain';
import { ConfirmIntegrationActivation, ExchangeIntegrationRequestToken, IssueIntegrationRequestToken, rejectionOf, SignatureCheck } from '@keyhold/application';
import { Public } from '../../http/auth';
import { OAuthError } from '../../http/problem';
import { CurrentRequestContext, RequestContext } from '../../http/request-context';
import { OAuth1AccessTokenResponse, OAuth1RequestTokenResponse } from '../integration.dto';
import { OAuth1Problem, SignedRequest } from './oauth1-signature';
import { oauth1Challenge, OAuth1Refusal, OAuth1Signatures } from './oauth1-signatures';

/** The decider's refusals of the handshake, as OAuth problems. */
const PROBLEM_BY_REJECTION: Partial<Record<RejectionCode, OAuth1Problem>> = {
  RequestTokenInvalid: 'token_rejected',
  VerifierInvalid: 'verifier_invalid',
  IntegrationNotActivating: 'token_rejected',
  IntegrationNotFound: 'consumer_key_unknown',
  IntegrationDeleted: 'consumer_key_unknown',
};

/** RFC 5849 §3.2: a malformed request is 400; a failed authentication (key, token, signature, nonce) 401. */
const BAD_REQUEST: ReadonlySet<OAuth1Problem> = new Set(['parameter_absent', 'parameter_rejected', 'signature_method_rejected', 'version_rejected']);

const asOAuthError = (error: unknown): unknown => {
  const rejection = rejectionOf(error);
  const problem = error instanceof OAuth1Refusal ? error.problem : rejection ? PROBLEM_BY_REJECTION[rejection.code] : undefined;
  if (!problem) return error;
  const detail = error instanceof OAuth1Refusal ? error.detail : (rejection?.message ?? '');
  const code = problem === 'consumer_key_unknown' ? 'invalid_client' : problem === 'token_rejected' || problem === 'verifier_invalid' ? 'invalid_grant' : 'invalid_request';
  return new OAuthError(code, detail, BAD_REQUEST.has(problem) ? 400 : 401, oauth1Challenge(problem));
};

const FORM = 'application/x-www-form-urlencoded';
const form = (reply: FastifyReply, values: Record<string, string>) => {
  void reply.type(FORM);
  return new URLSearchParams(values).toString();
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Keyhold's OAuth 1.0a endpoints (RFC 5849, HMAC-SHA256) for the handshake an integration runs
 * after its activation sent it the consumer key and secret and a verifier: a request token,
 * then the access token in exchange for the request token and the verifier. And the page the
 * admin's browser comes back to from the identity link, which records the confirmation.
 */
@ApiTags('OAuth 1.0a (integrations)')
@Controller()
@Public()
export class OAuth1Controller {
  constructor(
    private readonly signatures: OAuth1Signatures,
    private readonly requestTokens: IssueIntegrationRequestToken,
    private readonly accessTokens: ExchangeIntegrationRequestToken,
    private readonly confirmations: ConfirmIntegrationActivation,
  ) {}

  @Post('oauth/1.0a/request-token')
  @HttpCode(200)
  @ApiExtraModels(OAuth1RequestTokenResponse)
  @ApiOkResponse({ content: { [FORM]: { schema: { $ref: getSchemaPath(OAuth1RequestTokenResponse) } } } })
  @Header('Cache-Control', 'no-store')
  async requestToken(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentRequestContext() context: RequestContext) {
    try {
      const now = new Date();
      const signed = this.signatures.read(request, [], now.getTime());
      const issued = await this.requestTokens.execute({ consumerKey: signed.oauth.oauth_consumer_key, checkSignature: this.check(signed, now), now: now.toISOString(), context });
      return form(reply, { oauth_token: issued.token, oauth_token_secret: issued.tokenSecret, oauth_callback_confirmed: 'true' });
    } catch (error) {
      throw asOAuthError(error);
    }
  }

  @Post('oauth/1.0a/access-token')
  @HttpCode(200)
  @ApiExtraModels(OAuth1AccessTokenResponse)
  @ApiOkResponse({ content: { [FORM]: { schema: { $ref: getSchemaPath(OAuth1AccessTokenResponse) } } } })
  @Header('Cache-Control', 'no-store')
  async accessToken(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentRequestContext() context: RequestContext) {
    try {
      const now = new Date();
      const signed = this.signatures.read(request, ['oauth_token', 'oauth_verifier'], now.getTime());
      const { oauth_consumer_key: consumerKey, oauth_token: requestToken, oauth_verifier: verifier } = signed.oauth;
      const issued = await this.accessTokens.execute({ consumerKey, requestToken, verifier, checkSignature: this.check(signed, now), now: now.toISOString(), context });
      return form(reply, { oauth_token: issued.token, oauth_token_secret: issued.tokenSecret });
    } catch (error) {
      throw asOAuthError(error);
    }
  }

  /** Where the integration sends the admin back after they logged in at its identity link. */
  @Get('integrations/return')
  @ApiExcludeEndpoint()
  async returned(
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentRequestContext() context: RequestContext,
  ) {
    void reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').header('Referrer-Policy', 'no-referrer');
    const { tenant, integration: integrationId, state } = query;
    if (typeof tenant !== 'string' || typeof integrationId !== 'string' || typeof state !== 'string' || !UUID.test(tenant) || !UUID.test(integrationId)) {
      void reply.status(400);
      return page('Activation link not valid', 'This link is incomplete or malformed. Go back to Keyhold and activate the integration again.');
    }
    try {
      const integration = await this.confirmations.execute({ tenantId: tenant, integrationId, returnState: state, context });
      return page('Integration active', `The integration "${integration.name}" is active. You may close this window.`);
    } catch (error) {
      const rejection = rejectionOf(error);
      if (!rejection) throw error;
      void reply.status(rejection.code === 'IntegrationNotActive' ? 409 : rejection.code === 'IntegrationNotFound' ? 404 : 400);
      return page('Integration not activated', rejection.message);
    }
  }

  /** The signed request's signature and nonce, checked with the secrets the use case opens for it. */
  private check(signed: SignedRequest, now: Date): SignatureCheck {
    return (consumerId, consumerSecret, tokenSecret) => this.signatures.verify(signed, consumerId, consumerSecret, tokenSecret, now.getTime());
  }
}
