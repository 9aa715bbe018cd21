import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { FastifyReply } from 'fastify';
import { Sessions, userOf } from '@keyhold/application';
import { sessionWindowOpen } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore, SESSIONS, SessionView } from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { publicBaseUrl } from '../http/public-url';
import { pageOf, PageQuery } from '../http/pagination';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { IssueInvitationCommand } from '../users/tenancy.commands';
import { UserIdParams } from '../users/users.dto';
import { invitationLink, InvitationLinkResponse, SessionPage } from '../users/users.responses';

export class SessionIdParams {
  @IsUUID()
  id!: string;
}

export class UserSessionParams {
  @IsUUID()
  id!: string;

  @IsUUID()
  sessionId!: string;
}

const toSessionResponse = (session: SessionView) => ({
  id: session.id,
  state: session.status === 'ended' ? 'ended' : sessionWindowOpen(session, new Date().toISOString()) ? 'active' : 'expired',
  startedAt: session.createdAt,
  lastActiveAt: session.lastActiveAt,
  idleExpiresAt: session.idleExpiresAt,
  absoluteExpiresAt: session.absoluteExpiresAt,
  endedAt: session.endedAt,
  endReason: session.endReason,
});

/** A user's browser sessions, listed and ended by the user and by an admin; and re-issued invitations. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1')
export class SessionsController {
  constructor(
    private readonly sessions: Sessions,
    private readonly commands: CommandBus,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Get('me/sessions')
  @ApiOkResponse({ type: SessionPage })
  mine(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.list(principal.tenantId, userOf(principal, 'have sessions'), query);
  }

  @Delete('me/sessions/:id')
  @HttpCode(204)
  async endMine(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: SessionIdParams) {
    await this.sessions.endOf(principal.tenantId, userOf(principal, 'have sessions'), params.id, 'ended-by-user', context);
  }

  @Get('users/:id/sessions')
  @ApiOkResponse({ type: SessionPage })
  @RequirePermissions('users:read')
  ofUser(@CurrentPrincipal() principal: Principal, @Param() params: UserIdParams, @Query() query: PageQuery) {
    return this.list(principal.tenantId, params.id, query);
  }

  @Delete('users/:id/sessions/:sessionId')
  @RequirePermissions('users:write')
  @HttpCode(204)
  async endOfUser(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: UserSessionParams) {
    await this.sessions.endOf(principal.tenantId, params.id, params.sessionId, 'ended-by-admin', context);
  }

  /** Re-issues a user's invitation link: the previous one stops working. Refused once the user has accepted one. */
  @Post('users/:id/invitation')
  @ApiCreatedResponse({ type: InvitationLinkResponse })
  @RequirePermissions('users:write')
  async reissueInvitation(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: UserIdParams,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const invitation = await this.commands.execute(new IssueInvitationCommand({ tenantId: principal.tenantId, userId: params.id, context }));
    void reply.status(201).header('Cache-Control', 'no-store');
    return invitationLink(publicBaseUrl(this.config), invitation);
  }

  private list(tenantId: string, userId: string, query: PageQuery) {
    return pageOf(this.readModels.collection<SessionView>(SESSIONS), { tenantId, userId }, query, toSessionResponse);
  }
}
