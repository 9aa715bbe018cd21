import { Type } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RequestContext } from '@keyhold/application';
import { Permission } from '@keyhold/domain';
import { ClientSecretParams } from '../api-clients/api-clients.dto';
import { ChangeApiClientCommand } from '../api-clients/api-clients.commands';
import { IntegrationParams } from '../integrations/integration.dto';
import { DeleteIntegrationCommand } from '../integrations/integrations.commands';
import { ResetServiceAccountSecretCommand } from '../service-accounts/service-accounts.commands';
import { ServiceAccountParams } from '../service-accounts/service-accounts.dto';

export type CommandRun = {
  readonly resultingIds: Readonly<Record<string, string>>;
  /** Goes to the requester encrypted to its reply key, and nowhere else. */
  readonly secrets: Readonly<Record<string, string>> | null;
};

/**
 * One command type of the Kafka channel: the DTO its payload is validated with (the one the
 * REST endpoint uses), the permission the REST endpoint demands, and the command (its use case)
 * it dispatches, as REST does.
 */
export type KafkaCommandType<Payload extends object> = {
  readonly payload: Type<Payload>;
  readonly permission: Permission;
  /** A command that creates a secret needs a reply key before it may run. */
  readonly createsSecret: boolean;
  run(commands: CommandBus, tenantId: string, payload: Payload, context: RequestContext): Promise<CommandRun>;
};

const commandType = <Payload extends object>(type: KafkaCommandType<Payload>) => type;

/**
 * Service accounts cannot hold personal tokens, so the channel offers what they can do; never
 * reauthorizing an integration, which needs a user confirming with their password.
 */
export const KAFKA_COMMAND_TYPES: Readonly<Record<string, KafkaCommandType<object>>> = {
  'service-account.reset-secret': commandType({
    payload: ServiceAccountParams,
    permission: 'clients:write',
    createsSecret: true,
    run: async (commands, tenantId, { id }, context) => {
      const reset = await commands.execute(new ResetServiceAccountSecretCommand({ tenantId, accountId: id, context }));
      return { resultingIds: { serviceAccountId: id }, secrets: { clientId: id, clientSecret: reset.clientSecret } };
    },
  }),
  'api-client.secret.remove': commandType({
    payload: ClientSecretParams,
    permission: 'clients:write',
    createsSecret: false,
    run: async (commands, tenantId, { id, secretId }, context) => {
      await commands.execute(new ChangeApiClientCommand({ tenantId, clientId: id, change: { type: 'RemoveClientSecret', secretId }, context }));
      return { resultingIds: { apiClientId: id, secretId }, secrets: null };
    },
  }),
  'integration.delete': commandType({
    payload: IntegrationParams,
    permission: 'integrations:write',
    createsSecret: false,
    run: async (commands, tenantId, { id }, context) => {
      await commands.execute(new DeleteIntegrationCommand({ tenantId, integrationId: id, context }));
      return { resultingIds: { integrationId: id }, secrets: null };
    },
  }),
};
