import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { PasswordsModule } from '../users/passwords.module';
import { CsrfTokens } from './browser-cookies';
import { Invitations } from './invitations';
import { Sessions } from './sessions';
import { SessionsController } from './sessions.controller';
import { SignIn } from './sign-in';
import { SignInController } from './sign-in.controller';

/** People signing in: invitations, the sign-in page, browser sessions. */
@Module({
  imports: [CommandsModule, PasswordsModule],
  controllers: [SignInController, SessionsController],
  providers: [SignIn, Sessions, Invitations, CsrfTokens],
  exports: [Sessions, CsrfTokens, SignIn],
})
export class SignInModule {}
