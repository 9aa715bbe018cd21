import { Module } from '@nestjs/common';
import { Invitations, PasswordAttempts, Sessions, SignIn } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { ROOT_LOGGER } from '@keyhold/platform';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { useCaseProvider } from '../use-case-provider';
import { PasswordsModule } from '../users/passwords.module';
import { CsrfTokens } from './browser-cookies';
import { SessionsController } from './sessions.controller';
import { SignInController } from './sign-in.controller';

/** People signing in: invitations, the sign-in page, browser sessions. */
@Module({
  imports: [CommandsModule, PasswordsModule],
  controllers: [SignInController, SessionsController],
  providers: [
    useCaseProvider(SignIn, [EVENT_STORE, PasswordAttempts, ROOT_LOGGER]),
    useCaseProvider(Sessions, [CommandRunner, SecretHasher, EVENT_STORE, ROOT_LOGGER]),
    useCaseProvider(Invitations, [CommandRunner, EVENT_STORE, SecretHasher]),
    CsrfTokens,
  ],
  exports: [Sessions, CsrfTokens, SignIn],
})
export class SignInModule {}
