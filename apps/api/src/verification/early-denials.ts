import { Injectable } from '@nestjs/common';
import { GlobalPosition } from '@keyhold/event-store';
import { LifecycleMessage } from '@keyhold/messaging';
import { Principal } from './principal';

/**
 * What one lifecycle message takes away at once. Each one only narrows: a credential, every
 * credential of an actor, one API-client secret, or an actor's permissions (all, or one).
 */
export type Denial =
  | { readonly deny: 'credential' | 'actor' | 'clientSecret'; readonly id: string }
  | { readonly deny: 'permission'; readonly id: string; readonly permission: string | null };

/**
 * The denials a lifecycle message carries. A secret reset ends every token of the account's
 * generation, and tokens of the new generation cannot reach an index that has not applied the
 * reset, so the whole actor is denied until then. Messages that grant (issue, add, activate)
 * deny nothing: only the log grants.
 */
export const denialsOf = (message: LifecycleMessage): Denial[] => {
  const subjectId = message.subject.id;
  switch (message.eventType) {
    case 'TokenRevoked':
    case 'AccessTokenRevoked':
      return [{ deny: 'credential', id: subjectId }];
    case 'UserTokensRevoked':
      return (message.data.accessTokenIds ?? '').split(' ').filter(Boolean).map((id) => ({ deny: 'credential', id }) as const);
    case 'ClientSecretReset':
    case 'ServiceAccountDeleted':
    case 'ApiClientDeleted':
      return [{ deny: 'actor', id: subjectId }];
    case 'ClientSecretRemoved':
    case 'ClientSecretExpired':
      return message.data.secretId ? [{ deny: 'clientSecret', id: message.data.secretId }] : [];
    case 'IntegrationReauthorized':
      return message.data.previousAccessTokenId ? [{ deny: 'credential', id: message.data.previousAccessTokenId }] : [];
    case 'IntegrationDeleted':
      return [{ deny: 'actor', id: subjectId }, ...(message.data.revokedAccessTokenId ? [{ deny: 'credential', id: message.data.revokedAccessTokenId } as const] : [])];
    case 'ServiceAccountPermissionsReset':
      return [{ deny: 'permission', id: subjectId, permission: null }];
    case 'ServiceAccountPermissionRemoved':
      return message.data.permission ? [{ deny: 'permission', id: subjectId, permission: message.data.permission }] : [];
    default:
      return [];
  }
};

const keyOf = (denial: Denial): string =>
  denial.deny === 'permission' ? `permission:${denial.id}:${denial.permission ?? '*'}` : `${denial.deny}:${denial.id}`;

/**
 * Denials heard from the lifecycle topic before this node's own subscription to the log has
 * applied their events. The log stays the source of truth: a denial lasts until the index has
 * applied the message's position, after which the index itself says no, and a message whose
 * event is already applied is ignored. Applying a message twice, or after its event, changes
 * nothing.
 */
@Injectable()
export class EarlyDenials {
  private applied: GlobalPosition | null = null;
  /** Each denial with the log position at which the index takes it over. */
  private readonly pending = new Map<string, GlobalPosition>();
  private recorded = 0;

  /** Records what `message` denies; answers how many denials it added. */
  record(message: LifecycleMessage): number {
    if (this.applied !== null && message.position <= this.applied) return 0;
    let added = 0;
    for (const denial of denialsOf(message)) {
      const key = keyOf(denial);
      const until = this.pending.get(key);
      if (until === undefined) added += 1;
      if (until === undefined || until < message.position) this.pending.set(key, message.position);
    }
    this.recorded += 1;
    return added;
  }

  /** Grows with every message recorded: what was verified before a change may be denied now. */
  get changes(): number {
    return this.recorded;
  }

  /** The index has applied the log up to `position`: the denials up to there are its own now. */
  settle(position: GlobalPosition): void {
    this.applied = position;
    if (this.pending.size === 0) return;
    for (const [key, until] of this.pending) if (until <= position) this.pending.delete(key);
  }

  /** The principal with what is denied taken away; null when the credential or its actor is denied. */
  restrict(principal: Principal): Principal | null {
    if (this.pending.size === 0) return principal;
    const actorId = principal.actor.id;
    if (this.pending.has(`credential:${principal.credential.id}`) || this.pending.has(`actor:${actorId}`)) return null;
    if (this.pending.has(`permission:${actorId}:*`)) return { ...principal, permissions: new Set() };
    const kept = [...principal.permissions].filter((permission) => !this.pending.has(`permission:${actorId}:${permission}`));
    return kept.length === principal.permissions.size ? principal : { ...principal, permissions: new Set(kept) };
  }

  /** Whether an OAuth client, or the one secret it presented, is denied. */
  deniesClient(clientId: string, secretId: string | null = null): boolean {
    return this.pending.has(`actor:${clientId}`) || (secretId !== null && this.pending.has(`clientSecret:${secretId}`));
  }

  get size(): number {
    return this.pending.size;
  }
}
