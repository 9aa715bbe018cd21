import { Module } from '@nestjs/common';
import { ConfirmUserPassword, PasswordAttempts, SetUserPassword } from '@keyhold/application';
import { EVENT_STORE } from '@keyhold/event-store';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { dispatchedUseCase, useCaseProvider } from '../use-case-provider';
import { PasswordController, SetPasswordCommand } from './password.controller';

@Module({
  imports: [CommandsModule],
  controllers: [PasswordController],
  providers: [
    PasswordAttempts,
    ...dispatchedUseCase(SetPasswordCommand, SetUserPassword, [CommandRunner, EVENT_STORE, PasswordAttempts]),
    useCaseProvider(ConfirmUserPassword, [EVENT_STORE, PasswordAttempts]),
  ],
  exports: [ConfirmUserPassword, PasswordAttempts],
})
export class PasswordsModule {}
