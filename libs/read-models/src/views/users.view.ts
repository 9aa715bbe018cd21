import { assertNever, Role, TENANCY_EVENTS } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

export type UserView = ReadModelDocument & {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
  /**
   * The revision of the tenant's stream at the event that last changed this user (absent on
   * documents written before views kept it). Every event of that stream after the tenant's
   * creation changes one user, so the highest over the tenant's users is the stream's revision:
   * a user's ETag, without a log read.
   */
  streamRevision?: number;
};

export const USERS: CollectionDefinition = {
  name: 'users',
  indexes: [
    ['tenantId', 'createdAt'],
    ['tenantId', 'streamRevision'],
  ],
};

export const usersProjection = (readModels: ReadModelStore): Projection => {
  const users = readModels.collection<UserView>(USERS);
  return {
    name: 'users',
    async apply(event: RecordedEvent) {
      if (!TENANCY_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'UserAdded': {
          const { userId, tenantId, email, role, addedAt } = event.data;
          await users.putIfNewer(
            { id: userId, tenantId, email, role, createdAt: addedAt, updatedAt: addedAt, streamRevision: event.streamRevision },
            event.globalPosition,
          );
          return;
        }
        case 'UserRoleChanged':
          return patchIfNewer(users, event.data.userId, event.globalPosition, () => ({ role: event.data.role, updatedAt: event.data.changedAt, streamRevision: event.streamRevision }));
        case 'TenantCreated':
          return;
        default:
          return assertNever(event);
      }
    },
  };
};
