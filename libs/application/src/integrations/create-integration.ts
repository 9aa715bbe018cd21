import { randomUUID } from 'node:crypto';
import { Integration, ResourceAccess } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { integrationIn, runOnIntegrations } from './integrations-stream';

export type CreateIntegrationInput = {
  readonly tenantId: string;
  readonly name: string;
  readonly email: string;
  readonly callbackUrl: string | null;
  readonly identityLinkUrl: string | null;
  readonly resourceAccess: ResourceAccess;
  readonly resources: string[];
  readonly context: RequestContext;
};

/** An integration, created inactive: no secret exists until it is activated. */
export class CreateIntegration {
  constructor(private readonly commands: CommandPipeline) {}

  async execute({ tenantId, name, email, callbackUrl, identityLinkUrl, resourceAccess, resources, context }: CreateIntegrationInput): Promise<Integration> {
    const integrationId = randomUUID();
    const command = {
      type: 'CreateIntegration' as const,
      tenantId,
      integrationId,
      name,
      email,
      callbackUrl,
      identityLinkUrl,
      resourceAccess,
      resources,
      createdBy: context.actorId,
      now: new Date().toISOString(),
    };
    return integrationIn((await runOnIntegrations(this.commands, tenantId, command, context)).state, integrationId);
  }
}
