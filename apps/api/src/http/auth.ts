import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { Permission } from '@keyhold/domain';
import { CredentialIndexService } from '../verification/credential-index.service';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { Problem } from './problem';

const PUBLIC = 'keyhold:public';
const REQUIRED = 'keyhold:required-permissions';

/** No credential needed (health, API document). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Every listed permission must be among the principal's effective rights. */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED, permissions);

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

const BEARER = /^Bearer ([^\s]+)$/i;

/**
 * Every route needs a bearer token issued by this service unless marked @Public. Verification
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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    return this.authorize(context.switchToHttp().getRequest<AuthenticatedRequest>(), this.reflector.getAllAndOverride<Permission[]>(REQUIRED, targets) ?? []);
  }

  /** Verifies the bearer token, attaches its principal to the request, and demands the permissions. */
  async authorize(request: AuthenticatedRequest, required: readonly Permission[]): Promise<true> {
    const now = new Date().toISOString();
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const principal = presented ? await this.credentials.verify(presented, now) : null;
    if (!principal) {
      throw new Problem('unauthenticated', 'The bearer token is missing, malformed, unknown, expired or revoked.');
    }
    this.usage.record(principal.credential.id, now);
    request.principal = principal;

    const missing = required.filter(
      (permission) => !principal.permissions.has(permission),
    );
    if (missing.length > 0) {
      const detail = `This operation needs ${missing.map((p) => `'${p}'`).join(', ')}, which this token does not carry (its owner's role or the token's scope lacks it).`;
      throw new Problem('forbidden', detail);
    }
    return true;
  }
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Problem('unauthenticated', 'No authenticated principal on this request.');
  return principal;
});
