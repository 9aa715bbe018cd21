import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { FastifyRequest } from 'fastify';
import { Permission } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics } from '@keyhold/platform';
import { OAuthError } from '../http/problem';
import { publicBaseUrl } from '../http/public-url';
import { RequestContext } from '../http/request-context';
import { CONSOLE_CLIENT_ID } from '@keyhold/application';
import { PeopleTokenEndpoint } from '../people-oauth/people-token-endpoint';
import { OAuthGrant } from '../verification/oauth-index';
import { ClientAuthentication } from './client-authentication';
import { IssueAccessTokenCommand } from './oauth.commands';
import { TokenRequest } from './oauth.dto';

/** Grants defined by RFC 6749 that a client may be allowed; only client_credentials is served here. */
const KNOWN_GRANTS: ReadonlySet<string> = new Set<OAuthGrant>(['authorization_code', 'client_credentials', 'refresh_token', 'password']);

/** The console is a public client (RFC 6749 §2.1): its client_id and no secret; it proves itself with PKCE. */
export const isPublicConsole = (request: FastifyRequest, body: { client_id?: string; client_secret?: string }) =>
  body.client_id === CONSOLE_CLIENT_ID && body.client_secret === undefined && request.headers.authorization === undefined;

/**
 * What `POST /oauth/token` answers for a validated form: machine clients' client_credentials
 * (RFC 6749 §4.4) here, people's grants through PeopleTokenEndpoint. Failures are thrown as
 * OAuthError; the edge that called turns them into RFC 6749 §5.2 answers.
 */
@Injectable()
export class TokenEndpoint {
  constructor(
    private readonly commands: CommandBus,
    private readonly clients: ClientAuthentication,
    private readonly people: PeopleTokenEndpoint,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly metrics: KeyholdMetrics,
  ) {}

  async token(request: FastifyRequest, body: TokenRequest, context: RequestContext) {
    if (isPublicConsole(request, body)) return this.forPeople(CONSOLE_CLIENT_ID, body, context);
    const client = this.clients.authenticate(request, body);
    if (!KNOWN_GRANTS.has(body.grant_type)) throw new OAuthError('unsupported_grant_type', `Unsupported grant_type '${body.grant_type}'.`);
    // A flow that is off for this client is refused as such, before saying what this endpoint serves.
    if (!client.grants.has(body.grant_type as OAuthGrant)) {
      throw new OAuthError('unauthorized_client', `This client may not use the ${body.grant_type} grant.`);
    }
    if (body.grant_type !== 'client_credentials') return this.forPeople(client.clientId, body, context);
    const scope = this.grantedScope(body.scope, client.permissions);
    const issued = await this.commands.execute(new IssueAccessTokenCommand({ client, scope, context: { ...context, actorId: client.clientId } }));
    // No event per token (docs/access-tokens.md), so the issued-credentials counter is told here.
    this.metrics.credentialChanges.inc({ kind: 'accessToken', change: 'issued' });
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope.join(' ') };
  }

  /** A person's grant (code, refresh, password): tokens carry the user's current rights ∩ the granted scope. */
  private async forPeople(clientId: string, body: TokenRequest, context: RequestContext) {
    return this.people.token(clientId, body, publicBaseUrl(this.config), context);
  }

  /** RFC 6749 §3.3: the requested scope must be within what the client holds; none asked means all it holds. */
  private grantedScope(requested: string | undefined, held: ReadonlySet<Permission>): Permission[] {
    if (requested === undefined) return [...held].sort();
    const asked = [...new Set(requested.split(' '))];
    const beyond = asked.filter((scope) => !held.has(scope as Permission));
    if (beyond.length > 0) {
      throw new OAuthError('invalid_scope', `The client does not hold: ${beyond.join(' ')}.`);
    }
    return (asked as Permission[]).sort();
  }
}
