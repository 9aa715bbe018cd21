import { connectionAuthorityNeeds, ConnectionCommand, connectionDecider, ConnectionState, streamName, withAuthority } from '@keyhold/domain';
import { DataKey, DataKeyService, DataKeyUnavailableError, MasterKeyUnavailableError, UnwrapError } from '@keyhold/key-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext, WriteOptions } from '../command-pipeline';
import { ActiveConnection } from './connection-details';

export const connectionStream = (connectionId: string) => streamName('connection', connectionId);

/** Only a caller who could obtain a stored credential may set one, or obtain it. */
export const connectionDeciderFor = (context: RequestContext) => withAuthority(connectionDecider, context.caller, connectionAuthorityNeeds);

export const runOnConnection = (commands: CommandPipeline, command: ConnectionCommand, context: RequestContext, options?: WriteOptions) =>
  commands.run(connectionStream(command.connectionId), connectionDeciderFor(context), command, { ...context, tenantId: command.tenantId, now: command.now }, options);

export const active = (state: ConnectionState): ActiveConnection => {
  if (state.status !== 'active') throw new Error(`Connection expected active, is ${state.status}`);
  return state;
};

/** A data key in clear is wiped as soon as the operation that needed it is done. */
export const withKey = async <T>(key: DataKey, use: (key: DataKey) => T | Promise<T>): Promise<T> => {
  try {
    return await use(key);
  } finally {
    key.key.fill(0);
  }
};

/**
 * The connection's data key, or null when it has none (never had, or destroyed with the
 * connection). One that cannot be unwrapped (its master key is not configured, or the stored
 * wrapping does not authenticate) is the operator's problem, not the caller's: unavailable, and
 * no detail out.
 */
export const connectionKey = async (dataKeys: DataKeyService, connectionId: string): Promise<DataKey | null> => {
  try {
    return await dataKeys.get(connectionId);
  } catch (error) {
    if (error instanceof DataKeyUnavailableError) return null;
    if (error instanceof MasterKeyUnavailableError || error instanceof UnwrapError) {
      throw new ApplicationError({ kind: 'unavailable', message: 'The key protecting this connection cannot be opened with the configured master keys.' });
    }
    throw error;
  }
};
