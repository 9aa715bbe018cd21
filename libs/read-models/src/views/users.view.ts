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
};

export const USERS: CollectionDefinition = { name: 'users', indexes: [['tenantId', 'createdAt']] };

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
            { id: userId, tenantId, email, role, createdAt: addedAt, updatedAt: addedAt },
            event.globalPosition,
          );
          return;
        }
        case 'UserRoleChanged':
          return patchIfNewer(users, event.data.userId, event.globalPosition, () => ({ role: event.data.role, updatedAt: event.data.changedAt }));
        case 'TenantCreated':
          return;
        default:
          return assertNever(event);
      }
    },
  };
};
