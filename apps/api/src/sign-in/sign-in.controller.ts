import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ApplicationError, Invitations, rejectionOf, SessionUser, Sessions, SignIn } from '@keyhold/application';
import { SESSION_ABSOLUTE_MS, TENANT_SLUG_PATTERN, TOKEN_SCOPES, TokenScope } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { Public } from '../http/auth';
import { publicBaseUrl } from '../http/public-url';
import { Problem } from '../http/problem';
import { problemOf } from '../http/rejection-error';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { IssueTokenCommand } from '../tokens/tokens.commands';
import { clearCookie, CsrfTokens, readCookies, secureCookies, SESSION_COOKIE, setCookie } from './browser-cookies';
import { html, SafeHtml, sendPage } from './html';

type Form = Record<string, unknown>;

/** A form field as trimmed text of at most `max` characters, or null when absent, not text or too long. */
const field = (form: Form | undefined, name: string, max = 256, trim = true): string | null => {
  const value = form?.[name];
  if (typeof value !== 'string' || value.length > max) return null;
  return trim ? value.trim() : value;
};

/** Only a path on this site may be returned to after sign-in: never another origin (open redirect). */
const safeReturnPath = (value: unknown): string =>
  typeof value === 'string' && value.length <= 4000 && /^\/(?![/\\])/.test(value) && !/[\p{Cc}\\]/u.test(value) ? value : '/account';

/**
 * Where the sign-in form may end up: Keyhold, and when it continues an authorization request,
 * the client's redirect origin (browsers apply form-action to the redirects after a POST too).
 */
const formTargetsFor = (returnTo: string): string[] => {
  if (!returnTo.startsWith('/oauth/authorize?')) return [];
  const redirectUri = new URLSearchParams(returnTo.slice(returnTo.indexOf('?') + 1)).get('redirect_uri');
  try {
    const url = new URL(redirectUri ?? '');
    return /^https?:$/.test(url.protocol) ? [url.origin] : [];
  } catch {
    return [];
  }
};

const MIN_PASSWORD = 12;

const passwordProblem = (password: string | null, confirmation: string | null): string | null => {
  if (password === null || password.length < MIN_PASSWORD) return `The password needs at least ${MIN_PASSWORD} characters (and at most 256).`;
  if (!/\S/.test(password)) return 'The password must not be only spaces.';
  if (password !== confirmation) return 'The two passwords differ.';
  return null;
};

const errorBlock = (message: string | null) => (message ? html`<p role="alert" class="error" id="form-error">${message}</p>` : null);

/**
 * The pages a person uses in a browser: sign in, accept an invitation (set a first password),
 * their account (issue a personal token, sign out). Server-rendered, no script, strict CSP;
 * every POST is CSRF-checked; failures are HTML pages (see ProblemDetailsFilter).
 */
@ApiExcludeController()
@Controller()
@Public()
export class SignInController {
  constructor(
    private readonly signIn: SignIn,
    private readonly sessions: Sessions,
    private readonly invitations: Invitations,
    private readonly csrf: CsrfTokens,
    private readonly commands: CommandBus,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Get('signin')
  signInPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('return_to') returnTo?: unknown, @Query('organisation') organisation?: unknown) {
    // Filled in when an application of that organisation sent the person here.
    const known = typeof organisation === 'string' && TENANT_SLUG_PATTERN.test(organisation) ? organisation : '';
    return this.renderSignIn(request, reply, { returnTo: safeReturnPath(returnTo), organisation: known, email: '', error: null, status: 200 });
  }

  @Post('signin')
  async signInSubmit(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form, @CurrentRequestContext() context: RequestContext) {
    this.requireCsrf(request, form);
    const returnTo = safeReturnPath(form?.return_to);
    const organisation = field(form, 'organisation', 63) ?? '';
    const email = field(form, 'email', 254) ?? '';
    const password = field(form, 'password', 256, false) ?? '';
    if (!organisation || !email || !password) {
      return this.renderSignIn(request, reply, { returnTo, organisation, email, error: 'Enter your organisation, e-mail and password.', status: 400 });
    }
    try {
      const user = await this.signIn.check({ organisation, email, password }, context);
      await this.startSession(request, reply, user, context);
      return reply.status(303).header('Location', returnTo).send();
    } catch (error) {
      // A refused sign-in is shown on the form again; anything else is an error page.
      if (!(error instanceof ApplicationError) || (error.failure.kind !== 'rate-limited' && rejectionOf(error)?.code !== 'SignInFailed')) throw error;
      const problem = problemOf(error);
      if (error.failure.kind === 'rate-limited') void reply.header('Retry-After', String(error.failure.retryAfterSeconds));
      return this.renderSignIn(request, reply, { returnTo, organisation, email, error: problem.detail, status: problem.status });
    }
  }

  @Post('signout')
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form, @CurrentRequestContext() context: RequestContext) {
    this.requireCsrf(request, form);
    const session = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (session) await this.sessions.end(session.tenantId, session.sessionId, 'signed-out', { ...context, actorId: session.userId });
    clearCookie(reply, SESSION_COOKIE, this.secure(request));
    return reply.status(303).header('Location', '/signin').send();
  }

  @Get('account')
  async account(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequestContext() context: RequestContext) {
    const session = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (!session) return reply.status(303).header('Location', '/signin?return_to=%2Faccount').send();
    return this.renderAccount(request, reply, session, null);
  }

  @Post('account/tokens')
  async issueToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() form: Form, @CurrentRequestContext() context: RequestContext) {
    this.requireCsrf(request, form);
    const session = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (!session) return reply.status(303).header('Location', '/signin?return_to=%2Faccount').send();
    const label = field(form, 'label', 100);
    const scope = field(form, 'scope', 20) as TokenScope | null;
    if (!label || /\p{Cc}/u.test(label) || !scope || !TOKEN_SCOPES.includes(scope)) {
      return this.renderAccount(request, reply, session, html`${errorBlock('Give the token a label (1 to 100 printable characters) and a scope.')}`, 400);
    }
    // The page is cookie-authenticated, outside the bearer guard: the caller is the session's user.
    const caller = await this.signIn.callerOf(session.tenantId, session.userId);
    const issued = await this.commands.execute(new IssueTokenCommand({ tenantId: session.tenantId, ownerId: session.userId, label, scope, expiresAt: null, idempotencyKey: null, context: { ...context, actorId: session.userId, caller } }));
    return this.renderAccount(
      request,
      reply,
      session,
      html`<section aria-labelledby="new-token"><h2 id="new-token">Your new token</h2>
<p>Copy it now: it is shown this once and cannot be seen again.</p><p><code id="token-secret">${issued.secret!}</code></p></section>`,
      201,
    );
  }

  @Get('invitations/:userId/:code')
  async invitationPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('userId') userId: string, @Param('code') code: string) {
    const invitation = await this.invitations.open(userId, code, new Date().toISOString());
    return this.renderInvitation(request, reply, invitation.email, null, 200);
  }

  @Post('invitations/:userId/:code')
  async acceptInvitation(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('userId') userId: string,
    @Param('code') code: string,
    @Body() form: Form,
    @CurrentRequestContext() context: RequestContext,
  ) {
    this.requireCsrf(request, form);
    const password = field(form, 'password', 256, false);
    const problem = passwordProblem(password, field(form, 'password_confirmation', 256, false));
    if (problem) {
      const invitation = await this.invitations.open(userId, code, new Date().toISOString());
      return this.renderInvitation(request, reply, invitation.email, problem, 400);
    }
    const user = await this.invitations.accept(userId, code, password!, context);
    await this.startSession(request, reply, { ...user }, context);
    return reply.status(303).header('Location', '/account').send();
  }

  /** Rotation: whatever session the browser held ends, and a new id and secret replace it. */
  private async startSession(request: FastifyRequest, reply: FastifyReply, user: { tenantId: string; userId: string }, context: RequestContext) {
    const previous = await this.sessions.authenticate(readCookies(request).get(SESSION_COOKIE), context);
    if (previous) await this.sessions.end(previous.tenantId, previous.sessionId, 'replaced', { ...context, actorId: previous.userId });
    const { cookie } = await this.sessions.start(user.tenantId, user.userId, context);
    setCookie(reply, SESSION_COOKIE, cookie, { secure: this.secure(request), sameSite: 'Lax', maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000 });
  }

  private requireCsrf(request: FastifyRequest, form: Form | undefined): void {
    if (!this.csrf.verify(request, form?.csrf, publicBaseUrl(this.config))) {
      throw new Problem('csrf-failed', 'The form could not be verified (it is stale, or was sent from another site); reload the page and try again.');
    }
  }

  private secure(request: FastifyRequest): boolean {
    return secureCookies(publicBaseUrl(this.config));
  }

  private csrfField(request: FastifyRequest, reply: FastifyReply): SafeHtml {
    return html`<input type="hidden" name="csrf" value="${this.csrf.tokenFor(request, reply, this.secure(request))}">`;
  }

  private renderSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    view: { returnTo: string; organisation: string; email: string; error: string | null; status: number },
  ) {
    const described = view.error ? 'form-error' : null;
    return sendPage(reply, {
      status: view.status,
      title: 'Sign in',
      formTargets: formTargetsFor(view.returnTo),
      body: html`<h1>Sign in to Keyhold</h1>${errorBlock(view.error)}
<form method="post" action="/signin" ${described ? html`aria-describedby="${described}"` : null}>
${this.csrfField(request, reply)}<input type="hidden" name="return_to" value="${view.returnTo}">
<label for="organisation">Organisation</label>
<input id="organisation" name="organisation" required maxlength="63" autocomplete="organization" value="${view.organisation}" aria-describedby="organisation-help">
<small id="organisation-help">The short name of your organisation, as in your invitation.</small>
<label for="email">E-mail</label><input id="email" name="email" type="email" required maxlength="254" autocomplete="username" value="${view.email}">
<label for="password">Password</label><input id="password" name="password" type="password" required maxlength="256" autocomplete="current-password">
<button type="submit">Sign in</button></form>`,
    });
  }

  private renderInvitation(request: FastifyRequest, reply: FastifyReply, email: string, error: string | null, status: number) {
    return sendPage(reply, {
      status,
      title: 'Set your password',
      body: html`<h1>Welcome to Keyhold</h1><p>Choose a password for <strong>${email}</strong>.</p>${errorBlock(error)}
<form method="post">${this.csrfField(request, reply)}
<label for="password">New password</label>
<input id="password" name="password" type="password" required minlength="${MIN_PASSWORD}" maxlength="256" autocomplete="new-password" aria-describedby="password-help">
<small id="password-help">At least ${MIN_PASSWORD} characters.</small>
<label for="password_confirmation">Repeat the password</label>
<input id="password_confirmation" name="password_confirmation" type="password" required minlength="${MIN_PASSWORD}" maxlength="256" autocomplete="new-password">
<button type="submit">Set password and sign in</button></form>`,
    });
  }

  private renderAccount(request: FastifyRequest, reply: FastifyReply, session: SessionUser, notice: SafeHtml | null, status = 200) {
    const csrf = this.csrfField(request, reply);
    return sendPage(reply, {
      status,
      title: 'Your account',
      body: html`<h1>Your account</h1>${notice}
<section aria-labelledby="issue"><h2 id="issue">Issue a personal API token</h2>
<form method="post" action="/account/tokens">${csrf}
<label for="label">Label</label><input id="label" name="label" required maxlength="100">
<label for="scope">Scope</label><select id="scope" name="scope"><option value="read">Read only</option><option value="read_write">Read &amp; write</option></select>
<button type="submit">Issue token</button></form></section>
<form method="post" action="/signout">${csrf}<button type="submit" class="secondary">Sign out</button></form>
<p><small>Session ${session.sessionId}</small></p>`,
    });
  }
}
