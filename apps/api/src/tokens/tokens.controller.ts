import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { detailsOfOwned, GetPersonalToken, ListPersonalTokens } from '@keyhold/application';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { IssueTokenDto, IssuedTokenResponse, ListTokensQuery, RevokeTokenDto, TokenIdParams, TokenPage, TokenResponse } from './token.dto';
import { TokenIssuance } from './token-issuance';
import { RevokeTokenCommand } from './tokens.commands';

/** Personal API tokens over HTTP: each route validates, dispatches a use case, and shapes the answer. */
@ApiTags('personal API tokens')
@ApiBearerAuth()
@Controller('v1/tokens')
export class TokensController {
  constructor(
    private readonly commands: CommandBus,
    private readonly issuance: TokenIssuance,
    private readonly getToken: GetPersonalToken,
    private readonly listTokens: ListPersonalTokens,
  ) {}

  /** Answered by IssueTokenFastPath for a plain body without Idempotency-Key; every other request comes here, and every refusal or failure of the fast path, which the guard throws again. */
  @Post()
  @RequirePermissions('tokens:write')
  @ApiCreatedResponse({ type: IssuedTokenResponse, description: 'Issued: the secret is in `token`, this once.' })
  @ApiOkResponse({ type: TokenResponse, description: 'A retry with the same Idempotency-Key: the token issued before, without its secret.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key issue no second token.' })
  async issue(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: IssueTokenDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IssuedTokenResponse | TokenResponse> {
    const answer = await this.issuance.issue(principal, context, body, idempotencyKey);
    void reply.status(answer.status).headers(answer.headers);
    return answer.body;
  }

  @Get()
  @RequirePermissions('tokens:read')
  @ApiOkResponse({ type: TokenPage })
  list(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Query() query: ListTokensQuery) {
    return this.listTokens.execute({ tenantId: principal.tenantId, owner: query.owner ?? 'me', limit: query.limit ?? 50, cursor: query.cursor ?? null, context });
  }

  @Get(':id')
  @RequirePermissions('tokens:read')
  @ApiOkResponse({ type: TokenResponse, headers: ETAG_HEADER })
  async get(
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: TokenIdParams,
  ): Promise<TokenResponse> {
    const { token, revision } = await this.getToken.execute({ tenantId: principal.tenantId, tokenId: params.id, context });
    setETag(reply, revision);
    return token;
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @RequirePermissions('tokens:read')
  @ApiIfMatch()
  @ApiOkResponse({ type: TokenResponse, description: 'Revoked (or already so: revoking again changes nothing).' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: TokenIdParams,
    @Body() body: RevokeTokenDto,
    @IfMatch() expectedRevision: number | undefined,
  ): Promise<TokenResponse> {
    // The body's reason and the Keyhold-Reason header are one thing said two ways: both reach auditors.
    if (body.reason !== undefined && context.reason !== undefined && body.reason !== context.reason) {
      throw new Problem('validation-error', 'The reason differs between the body and the Keyhold-Reason header; give it once.');
    }
    const revoked = await this.commands.execute(
      new RevokeTokenCommand({ tenantId: principal.tenantId, tokenId: params.id, reason: body.reason ?? context.reason ?? null, context, expectedRevision }),
    );
    return detailsOfOwned(revoked, new Date().toISOString());
  }
}
