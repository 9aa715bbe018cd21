import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { effectivePermissions, TokenScope } from '@keyhold/domain';
import { PersonalTokenIndex } from '../verification/personal-token-index';
import { Principal, userIdOf } from '../verification/principal';
import { IssueTokenDto, IssuedTokenResponse, ListTokensQuery, RevokeTokenDto, TokenIdParams, TokenPage, TokenResponse } from './token.dto';
import { IssueTokenCommand, OwnedToken, RevokeTokenCommand } from './tokens.commands';
import { tokenStatus, TokensQuery } from './tokens.query';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

const toResponse = ({ ownerId, token }: OwnedToken, lastUsedAt: string | null = null): TokenResponse => ({
  id: token.tokenId,
  ownerId,
  label: token.label,
  scope: token.scope,
  status: tokenStatus(token, new Date().toISOString()),
  hint: token.hint,
  createdAt: token.issuedAt,
  expiresAt: token.expiresAt,
  revokedAt: token.status === 'revoked' ? token.revokedAt : null,
  lastUsedAt,
});

@ApiTags('personal API tokens')
@ApiBearerAuth()
@Controller('v1/tokens')
export class TokensController {
  constructor(
    private readonly commands: CommandBus,
    private readonly tokens: TokensQuery,
    private readonly users: PersonalTokenIndex,
  ) {}

  /**
   * Authority never grows: a new personal token carries its owner's role ∩ its scope, so the
   * credential asking must hold all of that already. A personal token of scope read_write always
   * does; an app's access token granted a narrower scope (OAuth for people) may not mint a wider one.
   */
  private refuseWider(principal: Principal, scope: TokenScope): void {
    const owner = this.users.user(userIdOf(principal));
    const beyond = owner ? [...effectivePermissions(owner.role, scope)].filter((permission) => !principal.permissions.has(permission)) : [];
    if (beyond.length > 0) {
      throw new Problem('forbidden', `A ${scope} token would carry ${beyond.map((p) => `'${p}'`).join(', ')}, which this credential does not hold.`);
    }
  }

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
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new Problem('validation-error', 'Idempotency-Key must be 8 to 128 characters of A-Z a-z 0-9 . _ : -');
    }
    this.refuseWider(principal, body.scope);
    const expiresAt = body.expiresAt ? new Date(body.expiresAt).toISOString() : null;
    const issued = await this.commands.execute(
      new IssueTokenCommand(principal.tenantId, userIdOf(principal), body.label, body.scope, expiresAt, idempotencyKey ?? null, context),
    );
    void reply.header('Cache-Control', 'no-store');
    if (issued.secret === null) {
      void reply.status(200).header('Idempotent-Replayed', 'true');
      return toResponse(issued);
    }
    void reply.status(201).header('Location', `/v1/tokens/${issued.token.tokenId}`);
    return { ...toResponse(issued), token: issued.secret };
  }

  @Get()
  @RequirePermissions('tokens:read')
  @ApiOkResponse({ type: TokenPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListTokensQuery) {
    return this.tokens.list(principal, query.owner ?? 'me', query.limit ?? 50, query.cursor ?? null);
  }

  @Get(':id')
  @RequirePermissions('tokens:read')
  @ApiOkResponse({ type: TokenResponse })
  get(@CurrentPrincipal() principal: Principal, @Param() params: TokenIdParams): Promise<TokenResponse> {
    return this.tokens.get(principal, params.id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @RequirePermissions('tokens:read')
  @ApiOkResponse({ type: TokenResponse, description: 'Revoked (or already so: revoking again changes nothing).' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: TokenIdParams,
    @Body() body: RevokeTokenDto,
  ): Promise<TokenResponse> {
    // The body's reason and the Keyhold-Reason header are one thing said two ways: both reach auditors.
    if (body.reason !== undefined && context.reason !== undefined && body.reason !== context.reason) {
      throw new Problem('validation-error', 'The reason differs between the body and the Keyhold-Reason header; give it once.');
    }
    const reason = body.reason ?? context.reason;
    const revoked = await this.commands.execute(new RevokeTokenCommand(principal, params.id, reason ?? null, { ...context, ...(reason ? { reason } : {}) }));
    return toResponse(revoked);
  }
}
