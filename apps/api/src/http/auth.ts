import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Permission } from '@keyhold/domain';
import { CredentialIndexService } from '../verification/credential-index.service';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { SignedCalls } from '../integrations/oauth1/signed-calls';
import { rethrowFastPathFailure } from './fast-path';
import { GUEST_ACCESSIBLE, GuestAccess } from './guest-access';
import { Problem } from './problem';

const PUBLIC = 'keyhold:public';
const REQUIRED = 'keyhold:required-permissions';

/** No credential needed (health, API document). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Every listed permission must be among the principal's effective rights. */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED, permissions);

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

const BEARER = /^Bearer ([^\s]+)$/i;

/** The secret of the request's `Authorization: Bearer` header, if it has one. */
export const presentedBearer = (request: FastifyRequest): string | null => BEARER.exec(request.headers.authorization ?? '')?.[1] ?? null;

/** The principal of the request's bearer token; null when there is none or it does not verify. */
export const bearerPrincipal = async (request: FastifyRequest, credentials: CredentialIndexService, now: string): Promise<Principal | null> => {
  const presented = presentedBearer(request);
  return presented ? credentials.verify(presented, now) : null;
};

/**
 * Every route needs a bearer token issued by this service unless marked @Public (or an
 * integration's OAuth 1.0a-signed request: consumer key and access token, see SignedCalls). Verification
 * is a memory lookup (see CredentialIndexService; the read model too while the node is stale);
 * the principal it yields carries the owner's current
 * rights narrowed by the token's scope, and routes demand permissions from that set.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly credentials: CredentialIndexService,
    private readonly usage: UsageRecorder,
    private readonly signedCalls: SignedCalls,
    private readonly guests: GuestAccess,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // No credential at all, on a route a guest may call: the tenant's setting decides.
    if (request.headers.authorization === undefined && this.reflector.getAllAndOverride<boolean>(GUEST_ACCESSIBLE, targets)) {
      await this.guests.admit(request, context.switchToHttp().getResponse<FastifyReply>());
      return true;
    }
    return this.authorize(request, this.reflector.getAllAndOverride<Permission[]>(REQUIRED, targets) ?? []);
  }

  /**
   * Verifies the bearer token, attaches its principal to the request, and demands the permissions.
   * A request its route's fast path failed has had its caller verified and counted there: its
   * failure is answered without a second verification.
   */
  async authorize(request: AuthenticatedRequest, required: readonly Permission[]): Promise<true> {
    rethrowFastPathFailure(request);
    const now = new Date().toISOString();
    const principal = OAuth1Signatures.isSigned(request) ? await this.signedCalls.verify(request, now) : await bearerPrincipal(request, this.credentials, now);
    admitCaller(request, principal, required, this.usage, now);
    return true;
  }
}

/**
 * What the guard does with a caller once verified, and what fast paths do with theirs, so that a
 * request gets the same answer whichever path verified it: the caller's use recorded and its
 * principal attached to the request (on a 403 too: request logs and spans name the caller), then
 * refused with 401 if nothing verified or 403 naming the permissions it lacks.
 */
export function admitCaller(
  request: AuthenticatedRequest,
  principal: Principal | null,
  required: readonly Permission[],
  usage: UsageRecorder,
  now: string,
): asserts principal is Principal {
  if (!principal) {
    throw new Problem('unauthenticated', 'The bearer token is missing, malformed, unknown, expired or revoked.');
  }
  usage.record(principal.credential.id, now);
  request.principal = principal;
  if (required.every((permission) => principal.permissions.has(permission))) return;
  const missing = required.filter((permission) => !principal.permissions.has(permission)).map((permission) => `'${permission}'`);
  throw new Problem('forbidden', `This operation needs ${missing.join(', ')}, which this token does not carry (its owner's role or the token's scope lacks it).`);
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Problem('unauthenticated', 'No authenticated principal on this request.');
  return principal;
});
