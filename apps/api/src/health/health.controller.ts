import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Permission } from '@keyhold/domain';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';
import { bearerPrincipal, Public } from '../http/auth';
import { Problem } from '../http/problem';
import { CredentialIndexService } from '../verification/credential-index.service';
import { LiveResponse, ReadyResponse } from './health.dto';
import { RevocationFeed } from '../verification/revocation-feed';

/**
 * Who sees readiness's detail (dependencies' errors, the log head, projection positions, the
 * revocation feed): an operator, meaning a bearer holding this permission: tenant admins, or
 * a monitoring service account granted it alone. It only reads, so a read-scoped token does.
 */
const HEALTH_DETAIL_PERMISSION: Permission = 'settings:read';

type Check = { status: 'up' | 'down'; detail?: string };

const PING_TIMEOUT_MS = 2000;

const check = async (ping: () => Promise<void>): Promise<Check> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([ping(), timeout]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly projections: ProjectionsService,
    private readonly revocationFeed: RevocationFeed,
    private readonly credentials: CredentialIndexService,
  ) {}

  /** Liveness: the process answers. Dependencies are readiness's business. */
  @Get()
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /**
   * Readiness: 503 when any dependency is down or a projection failing. Anyone gets the status
   * (what a load balancer needs); the detail per dependency and per projection is an operator's
   * (HEALTH_DETAIL_PERMISSION), because the log head and positions tell how busy every tenant is.
   */
  @Get('ready')
  @ApiOkResponse({ type: ReadyResponse, description: 'Ready. Without an operator token, only `status`.' })
  @ApiServiceUnavailableResponse({ type: ReadyResponse, description: 'Not ready: a dependency is down or a projection failing.' })
  async ready(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const operator = request.headers.authorization !== undefined;
    if (operator) await this.requireOperator(request);
    const [eventStore, readModels, messageBus, head] = await Promise.all([
      check(() => this.events.ping()),
      check(() => this.readModels.ping()),
      check(() => this.bus.ping()),
      this.events.headPosition().catch(() => null),
    ]);
    const projections = this.projections.statuses().map((status) => ({
      name: status.name,
      serves: status.serves,
      status: status.failure ? 'failing' : 'up',
      position: status.position,
      behind: head !== null && (status.position === null || status.position < head),
      ...(status.failure ? { failure: status.failure } : {}),
    }));
    const ready = [eventStore, readModels, messageBus].every((c) => c.status === 'up') && projections.every((p) => p.status === 'up');
    void reply.status(ready ? 200 : 503);
    if (!operator) return { status: ready ? 'ready' : 'not_ready' };
    // A stale node still answers (confirming in the read model, or refusing): shown, not counted against readiness.
    const revocationFeed = this.revocationFeed.freshness();
    return { status: ready ? 'ready' : 'not_ready', checks: { eventStore, readModels, messageBus }, projections, head, revocationFeed };
  }

  /** A presented credential must verify and carry the permission: a monitor misconfigured hears so. */
  private async requireOperator(request: FastifyRequest): Promise<void> {
    const principal = await bearerPrincipal(request, this.credentials, new Date().toISOString());
    if (!principal) throw new Problem('unauthenticated', 'The bearer token is malformed, unknown, expired or revoked.');
    if (!principal.permissions.has(HEALTH_DETAIL_PERMISSION)) {
      throw new Problem('forbidden', `Readiness details need '${HEALTH_DETAIL_PERMISSION}', which this token does not carry.`);
    }
  }
}
