import { Body, Controller, Get, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { GetUser, ListUsers } from '@keyhold/application';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../http/pagination';
import { publicBaseUrl } from '../http/public-url';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { AddUserCommand, ChangeUserRoleCommand } from './tenancy.commands';
import { AddUserDto, ChangeRoleDto, UserIdParams } from './users.dto';
import { AddedUserResponse, invitationLink, MeResponse, RoleChangeResponse, UserPage, UserResponse } from './users.responses';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly getUser: GetUser,
    private readonly listUsers: ListUsers,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Get('me')
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentPrincipal() principal: Principal) {
    return {
      tenantId: principal.tenantId,
      actor: principal.actor,
      credential: principal.credential,
      scope: principal.scope,
      permissions: [...principal.permissions].sort(),
    };
  }

  @Post('users')
  @ApiCreatedResponse({ type: AddedUserResponse })
  @RequirePermissions('users:write')
  async add(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: AddUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.commands.execute(new AddUserCommand({ tenantId: principal.tenantId, email: body.email, role: body.role, context }));
    void reply.status(201).header('Cache-Control', 'no-store').header('Location', `/v1/users/${user.userId}`);
    return {
      id: user.userId,
      email: user.email,
      role: user.role,
      createdAt: user.addedAt,
      // The link, not a credential: the user sets a password there and issues their own tokens.
      invitation: invitationLink(publicBaseUrl(this.config), user.invitation),
    };
  }

  @Get('users')
  @ApiOkResponse({ type: UserPage })
  @RequirePermissions('users:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.listUsers.execute({ tenantId: principal.tenantId, limit: query.limit ?? DEFAULT_PAGE_SIZE, cursor: query.cursor ?? null });
  }

  @Get('users/:id')
  @ApiOkResponse({ type: UserResponse, headers: ETAG_HEADER })
  @RequirePermissions('users:read')
  async get(@Res({ passthrough: true }) reply: FastifyReply, @CurrentPrincipal() principal: Principal, @Param() params: UserIdParams): Promise<UserResponse> {
    const { user, revision } = await this.getUser.execute({ tenantId: principal.tenantId, userId: params.id });
    setETag(reply, revision);
    return user;
  }

  @Put('users/:id/role')
  @ApiOkResponse({ type: RoleChangeResponse })
  @ApiIfMatch()
  @RequirePermissions('users:write')
  changeRole(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: UserIdParams,
    @Body() body: ChangeRoleDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.commands.execute(new ChangeUserRoleCommand({ tenantId: principal.tenantId, userId: params.id, role: body.role, context, expectedRevision }));
  }
}
