import { CONNECTION_EVENTS, connectionDecider, CredentialSettingsPatch, EncryptedSecrets } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { DataKeyService } from '@keyhold/key-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { ActiveConnection } from './connection-details';
import { PlainSecrets, seal } from './connection-secrets';
import { active, connectionDeciderFor, connectionKey, connectionStream, runOnConnection, withKey } from './connection-stream';

export type ConnectionChanges = {
  readonly name?: string;
  readonly service?: string;
  readonly allowedDomains?: string[];
  readonly credential?: CredentialSettingsPatch;
};

export type UpdateConnectionInput = {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly changes: ConnectionChanges;
  /** Secrets sent replace theirs; those not sent stay as they are. */
  readonly secrets: PlainSecrets;
  readonly context: RequestContext;
  /** The connection's revision the caller saw (If-Match); omitted, the change applies to whatever is current. */
  readonly expectedRevision?: number;
};

/** Changes a connection's settings, and replaces the secrets sent, sealed with the connection's own key. */
export class UpdateConnection {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly dataKeys: DataKeyService,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, connectionId, changes, secrets, context, expectedRevision }: UpdateConnectionInput): Promise<ActiveConnection> {
    const now = new Date().toISOString();
    const command = { type: 'UpdateConnection' as const, tenantId, connectionId, ...changes, secrets: {}, updatedBy: context.actorId, now };
    const update = async (sealed: EncryptedSecrets = {}) => active((await runOnConnection(this.commands, { ...command, secrets: sealed }, context, { expectedRevision })).state);
    if (Object.keys(secrets).length === 0) return update();
    // The key first, the stream read once by the command: a connection has its key from before
    // its creation until after its deletion, so another tenant's connection only gets secrets
    // sealed that its decider then refuses, and one without a key is not (or no longer) there.
    const key = await connectionKey(this.dataKeys, connectionId);
    if (key) return update(await withKey(key, (dataKey) => seal(dataKey, secrets)));
    throw await this.refusalWithoutKey(command, context);
  }

  /** The decider's answer (not found, deleted) for a connection without a key, never a hint from the key store; nothing is appended. */
  private async refusalWithoutKey(command: Parameters<typeof connectionDecider.decide>[0], context: RequestContext): Promise<ApplicationError> {
    const { state } = await readState(this.events, connectionStream(command.connectionId), connectionDecider, CONNECTION_EVENTS);
    const decision = connectionDeciderFor(context).decide(command, state);
    if (decision.outcome === 'rejected') return ApplicationError.rejected(decision.rejection);
    return new ApplicationError({ kind: 'unavailable', message: "This connection's key is missing; its secrets cannot be replaced." });
  }
}
