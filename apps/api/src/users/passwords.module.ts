import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { PasswordAttempts } from './password-attempts';
import { PasswordController } from './password.controller';
import { UserPasswords } from './user-passwords';

@Module({
  imports: [CommandsModule],
  controllers: [PasswordController],
  providers: [UserPasswords, PasswordAttempts],
  exports: [UserPasswords, PasswordAttempts],
})
export class PasswordsModule {}
