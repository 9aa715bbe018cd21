import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { GlobalPosition } from '@keyhold/event-store';
import { ProjectionsService, ROOT_LOGGER } from '@keyhold/platform';

const WAIT_MS = 2000;

/**
 * A command's response waits until this process's projections have applied its events, so the
 * caller's next read already sees them. When it times out the write still stands; the response
 * just may be a moment ahead of reads. A revocation does not rely on this: it answers only once
 * this node enforces it (CredentialIndexService.confirmRevocation).
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async await(position: GlobalPosition | null): Promise<void> {
    if (position === null) return;
    if (!(await this.projections.waitForReads(position, WAIT_MS))) {
      this.logger.warn({ position, statuses: this.projections.statuses() }, 'Projections lag behind a command');
    }
  }
}
