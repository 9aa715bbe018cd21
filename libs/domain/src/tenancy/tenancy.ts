import { Map as ImmutableMap } from 'immutable';
import { accept, assertNever, Decider, reject } from '../shared/decider';
import { AuthorityNeeds } from '../shared/authority';
import { Role, ROLE_PERMISSIONS } from '../shared/permissions';
import { Rejection } from '../shared/rejection';

export type TenantCreated = {
  type: 'TenantCreated';
  data: { tenantId: string; slug: string; name: string; createdAt: string };
};
export type UserAdded = {
  type: 'UserAdded';
  data: { tenantId: string; userId: string; email: string; role: Role; addedAt: string };
};
export type UserRoleChanged = {
  type: 'UserRoleChanged';
  data: { tenantId: string; userId: string; previousRole: Role; role: Role; changedAt: string };
};
export type TenancyEvent = TenantCreated | UserAdded | UserRoleChanged;

export type CreateTenant = {
  type: 'CreateTenant';
  tenantId: string;
  slug: string;
  name: string;
  firstAdmin: { userId: string; email: string };
  now: string;
};
export type AddUser = { type: 'AddUser'; userId: string; email: string; role: Role; now: string };
export type ChangeUserRole = { type: 'ChangeUserRole'; userId: string; role: Role; now: string };
export type TenancyCommand = CreateTenant | AddUser | ChangeUserRole;

export type TenancyRejection = Rejection<'TenantExists' | 'TenantNotFound' | 'EmailTaken' | 'UserNotFound' | 'LastAdmin'>;

export type TenantUser = { readonly email: string; readonly role: Role };
/**
 * A persistent map (immutable.js): adding a user shares the rest of the map instead of copying
 * it, so folding a tenant with n users costs n log n rather than n², which at ten thousand
 * users was seconds per command.
 */
export type TenantUsers = ImmutableMap<string, TenantUser>;
export type TenancyState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly tenantId: string;
      readonly slug: string;
      readonly users: TenantUsers;
    };

/** E-mail addresses compare case-insensitively; the one given first is kept for display. */
const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const adminCount = (users: TenantUsers) => users.count((user) => user.role === 'admin');

const decide = (command: TenancyCommand, state: TenancyState) => {
  switch (command.type) {
    case 'CreateTenant': {
      if (state.status !== 'none') {
        return reject<TenancyRejection>({ code: 'TenantExists', message: `Tenant '${command.slug}' already exists.` });
      }
      return accept<TenancyEvent>(
        {
          type: 'TenantCreated',
          data: { tenantId: command.tenantId, slug: command.slug, name: command.name, createdAt: command.now },
        },
        {
          type: 'UserAdded',
          data: {
            tenantId: command.tenantId,
            userId: command.firstAdmin.userId,
            email: command.firstAdmin.email,
            role: 'admin',
            addedAt: command.now,
          },
        },
      );
    }
    case 'AddUser': {
      if (state.status === 'none') {
        return reject<TenancyRejection>({ code: 'TenantNotFound', message: 'Tenant not found.' });
      }
      if (state.users.some((user) => sameEmail(user.email, command.email))) {
        return reject<TenancyRejection>({ code: 'EmailTaken', message: `A user with e-mail '${command.email}' already exists.` });
      }
      return accept<TenancyEvent>({
        type: 'UserAdded',
        data: { tenantId: state.tenantId, userId: command.userId, email: command.email, role: command.role, addedAt: command.now },
      });
    }
    case 'ChangeUserRole': {
      if (state.status === 'none') {
        return reject<TenancyRejection>({ code: 'TenantNotFound', message: 'Tenant not found.' });
      }
      const user = state.users.get(command.userId);
      if (!user) return reject<TenancyRejection>({ code: 'UserNotFound', message: 'User not found.' });
      if (user.role === command.role) return accept<TenancyEvent>();
      if (user.role === 'admin' && adminCount(state.users) === 1) {
        return reject<TenancyRejection>({ code: 'LastAdmin', message: 'A tenant must keep at least one admin.' });
      }
      return accept<TenancyEvent>({
        type: 'UserRoleChanged',
        data: {
          tenantId: state.tenantId,
          userId: command.userId,
          previousRole: user.role,
          role: command.role,
          changedAt: command.now,
        },
      });
    }
    default:
      return assertNever(command);
  }
};

const evolve = (state: TenancyState, event: TenancyEvent): TenancyState => {
  switch (event.type) {
    case 'TenantCreated':
      return { status: 'active', tenantId: event.data.tenantId, slug: event.data.slug, users: ImmutableMap() };
    case 'UserAdded':
    case 'UserRoleChanged':
      if (state.status === 'none') return state;
      return {
        ...state,
        users: state.users.set(event.data.userId, {
          email: event.type === 'UserAdded' ? event.data.email : state.users.get(event.data.userId)!.email,
          role: event.data.role,
        }),
      };
    default:
      return assertNever(event);
  }
};

export const tenancyDecider: Decider<TenancyState, TenancyCommand, TenancyEvent, TenancyRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

/**
 * A new user gains their role's permissions; a role change takes away the old role's and gives
 * the new one's, and both count: nobody demotes, nor promotes, someone with more than they hold.
 */
export const tenancyAuthorityNeeds: AuthorityNeeds<TenancyState, TenancyCommand> = (command, state) => {
  switch (command.type) {
    case 'CreateTenant':
      return ROLE_PERMISSIONS.admin;
    case 'AddUser':
      return ROLE_PERMISSIONS[command.role];
    case 'ChangeUserRole': {
      const current = state.status === 'none' ? undefined : state.users.get(command.userId)?.role;
      return [...(current ? ROLE_PERMISSIONS[current] : []), ...ROLE_PERMISSIONS[command.role]];
    }
    default:
      return assertNever(command);
  }
};
