import { Body, Controller, Get, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { publicBaseUrl } from '../http/public-url';
import { invitationLink } from '../sign-in/invitations';
import { READ_MODEL_STORE, ReadModelStore, USERS, UserView } from '@keyhold/read-models';
import { Inject } from '@nestjs/common';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { AddUserCommand, ChangeUserRoleCommand } from './tenancy.commands';
import { pageOf, PageQuery } from '../http/pagination';
import { AddUserDto, ChangeRoleDto, UserIdParams } from './users.dto';
import { AddedUserResponse, MeResponse, RoleChangeResponse, UserPage, UserResponse } from './users.responses';

const toUserResponse = (user: UserView) => ({
  id: user.id,
  email: user.email,
  role: user.role,
  createdAt: user.createdAt,
  updatedAt: user.updatedAt,
});

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
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
    const user = await this.commands.execute(new AddUserCommand(principal.tenantId, body.email, body.role, context));
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
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return pageOf(this.readModels.collection<UserView>(USERS), { tenantId: principal.tenantId }, query, toUserResponse);
  }

  @Get('users/:id')
  @ApiOkResponse({ type: UserResponse })
  @RequirePermissions('users:read')
  async get(@CurrentPrincipal() principal: Principal, @Param() params: UserIdParams) {
    const user = await this.readModels.collection<UserView>(USERS).get(params.id);
    if (!user || user.tenantId !== principal.tenantId) throw new Problem('not-found', 'User not found.');
    return toUserResponse(user);
  }

  @Put('users/:id/role')
  @ApiOkResponse({ type: RoleChangeResponse })
  @RequirePermissions('users:write')
  async changeRole(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: UserIdParams,
    @Body() body: ChangeRoleDto,
  ) {
    return this.commands.execute(new ChangeUserRoleCommand(principal.tenantId, params.id, body.role, context));
  }
}
