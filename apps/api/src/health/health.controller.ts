import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';
import { Public } from '../http/auth';
import { LiveResponse, ReadyResponse } from './health.dto';
import { RevocationFeed } from '../verification/revocation-feed';

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
  ) {}

  /** Liveness: the process answers. Dependencies are readiness's business. */
  @Get()
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /** Readiness, with a detail per dependency and per projection; 503 when any is down or failing. */
  @Get('ready')
  @ApiOkResponse({ type: ReadyResponse, description: 'Ready.' })
  @ApiServiceUnavailableResponse({ type: ReadyResponse, description: 'Not ready: a dependency is down or a projection failing.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [eventStore, readModels, messageBus, head] = await Promise.all([
      check(() => this.events.ping()),
      check(() => this.readModels.ping()),
      check(() => this.bus.ping()),
      this.events.headPosition().catch(() => null),
    ]);
    const projections = this.projections.statuses().map((status) => ({
      name: status.name,
      status: status.failure ? 'failing' : 'up',
      position: status.position,
      behind: head !== null && (status.position === null || status.position < head),
      ...(status.failure ? { failure: status.failure } : {}),
    }));
    const ready = [eventStore, readModels, messageBus].every((c) => c.status === 'up') && projections.every((p) => p.status === 'up');
    void reply.status(ready ? 200 : 503);
    // A stale node still answers (confirming in the read model, or refusing): shown, not counted against readiness.
    const revocationFeed = this.revocationFeed.freshness();
    return { status: ready ? 'ready' : 'not_ready', checks: { eventStore, readModels, messageBus }, projections, head, revocationFeed };
  }
}
