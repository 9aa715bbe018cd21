import { randomUUID } from 'node:crypto';
import { Integration, ResourceAccess } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { CredentialHolder } from '../credential-holder';
import { ConfirmUserPassword } from '../users/passwords';
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
  /** The admin creating it, and their password as confirmation. */
  readonly holder: CredentialHolder;
  readonly password: string;
};

/** An integration, created inactive once the admin confirms with their password: no secret exists until it is activated. */
export class CreateIntegration {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly passwords: ConfirmUserPassword,
  ) {}

  async execute({ tenantId, name, email, callbackUrl, identityLinkUrl, resourceAccess, resources, context, holder, password }: CreateIntegrationInput): Promise<Integration> {
    await this.passwords.execute({ holder, password });
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
