import { Body, Controller, HttpCode, Put } from '@nestjs/common';
import { Command, CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { CurrentPrincipal } from '../http/auth';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { SetPasswordInput } from '@keyhold/application';

export class SetPasswordDto {
  @ApiPropertyOptional({ writeOnly: true, description: 'Required once a password is set.' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  currentPassword?: string;

  @ApiProperty({ writeOnly: true, minLength: 12, maxLength: 256 })
  @IsString()
  @MinLength(12)
  @MaxLength(256)
  @Matches(/\S/, { message: 'newPassword must not be only spaces' })
  newPassword!: string;
}

/** Dispatches SetUserPassword. */
export class SetPasswordCommand extends Command<{ setAt: string }> {
  constructor(readonly input: SetPasswordInput) {
    super();
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/me')
export class PasswordController {
  constructor(private readonly commands: CommandBus) {}

  /** Sets the caller's own password, which confirms sensitive operations (creating an integration). */
  @Put('password')
  @HttpCode(204)
  async set(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: SetPasswordDto,
  ): Promise<void> {
    await this.commands.execute(new SetPasswordCommand({ holder: principal, currentPassword: body.currentPassword, newPassword: body.newPassword, context }));
  }
}
