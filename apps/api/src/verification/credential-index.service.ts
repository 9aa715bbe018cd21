import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { ProjectionsService, ROOT_LOGGER } from '@keyhold/platform';
import { IN_MEMORY_CHECKPOINTS, ProjectionRunner } from '@keyhold/read-models';
import { CredentialIndex, Principal, TokenOwnership } from './credential-index';

const LOG_PROGRESS_EVERY_MS = 5000;

/**
 * Builds this node's credential index from the log at start-up and keeps it live. The node
 * only starts answering once the index has caught up with the log as it was at start, so a
 * restart never rejects valid tokens, nor accepts revoked ones, while it warms up.
 */
@Injectable()
export class CredentialIndexService implements OnModuleInit {
  private readonly index: CredentialIndex;
  private runner: ProjectionRunner | null = null;

  constructor(
    hasher: SecretHasher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly projections: ProjectionsService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.index = new CredentialIndex(hasher);
  }

  async onModuleInit(): Promise<void> {
    const head = await this.events.headPosition();
    const started = Date.now();
    this.runner = await this.projections.run(this.index, IN_MEMORY_CHECKPOINTS);
    if (head === null) return;
    while (!(await this.runner.waitFor(head, LOG_PROGRESS_EVERY_MS))) {
      this.logger.info({ credentials: this.index.size(), position: this.runner.status().position, head }, 'Loading credential index');
    }
    this.logger.info({ credentials: this.index.size(), ms: Date.now() - started }, 'Credential index loaded');
  }

  verify(secret: string, now: string): Principal | null {
    return this.index.verify(secret, now);
  }

  ownerOf(tokenId: string): TokenOwnership | null {
    return this.index.ownerOf(tokenId);
  }

  size(): number {
    return this.index.size();
  }
}
