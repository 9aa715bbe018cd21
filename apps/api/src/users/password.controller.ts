import { Body, Controller, HttpCode, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { CurrentPrincipal } from '../http/auth';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { UserPasswords } from './user-passwords';

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

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/me')
export class PasswordController {
  constructor(private readonly passwords: UserPasswords) {}

  /** Sets the caller's own password, which confirms sensitive operations (creating an integration). */
  @Put('password')
  @HttpCode(204)
  async set(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: SetPasswordDto,
  ): Promise<void> {
    await this.passwords.set(principal, body.currentPassword, body.newPassword, context);
  }
}
