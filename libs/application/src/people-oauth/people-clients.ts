import { API_CLIENT_EVENTS, apiClientDecider, streamName, TENANCY_EVENTS, tenancyDecider } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { readState } from '../read-state';

/** The web console's client id: built in, valid in every tenant, public (no secret), first-party. */
export const CONSOLE_CLIENT_ID = 'keyhold-console';

/** An OAuth client as the flows for people see it. */
export type PeopleClient = {
  readonly clientId: string;
  readonly name: string;
  /** The client's tenant; null for the console, which serves whichever tenant the person signs in to. */
  readonly tenantId: string | null;
  /** The client's tenant's short name, to fill the sign-in page's organisation field; null for the console. */
  readonly tenantSlug: string | null;
  /** No secret: PKCE is its only proof at the token endpoint. */
  readonly isPublic: boolean;
  /** First-party: no consent screen. */
  readonly firstParty: boolean;
  readonly requirePkce: boolean;
  readonly refreshTokens: boolean;
  readonly password: boolean;
  readonly redirectUris: readonly string[];
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads a client's current settings from its stream: authoritative on every node, no index lag. */
export class PeopleClients {
  constructor(private readonly events: EventStore) {}

  async find(clientId: string, issuer: string): Promise<PeopleClient | null> {
    if (clientId === CONSOLE_CLIENT_ID) {
      return {
        clientId,
        name: 'Keyhold console',
        tenantId: null,
        tenantSlug: null,
        isPublic: true,
        firstParty: true,
        requirePkce: true,
        refreshTokens: true,
        password: false,
        redirectUris: [`${issuer}/console/callback`],
      };
    }
    if (!UUID.test(clientId)) return null;
    const state = (await readState(this.events, streamName('apiClient', clientId), apiClientDecider, API_CLIENT_EVENTS)).state;
    if (state.status !== 'active') return null;
    const tenant = (await readState(this.events, streamName('tenant', state.tenantId), tenancyDecider, TENANCY_EVENTS)).state;
    return {
      tenantSlug: tenant.status === 'active' ? tenant.slug : null,
      clientId,
      name: state.name,
      tenantId: state.tenantId,
      isPublic: false,
      firstParty: false,
      requirePkce: state.flows.requirePkce,
      refreshTokens: state.flows.refreshTokens,
      password: state.flows.password,
      redirectUris: state.redirectUris,
    };
  }
}
