import { Inject, Injectable } from '@nestjs/common';
import { clientSecretStatusAt } from '@keyhold/domain';
import { API_CLIENTS, ApiClientView, CLIENT_SECRETS, ClientSecretView, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';

const DAY_MS = 86_400_000;

/**
 * Active API client secrets expiring within N days, soonest first, with their client's name:
 * hints and dates, never a secret. Admins read it to rotate (`/v1/api-client-secrets`),
 * auditors to watch (`/v1/history/expiring-secrets`); the page ends where the threshold is passed.
 */
@Injectable()
export class ExpiringClientSecrets {
  constructor(@Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore) {}

  async page(tenantId: string, withinDays: number, page: { limit?: number; cursor?: string }) {
    const nowMs = Date.now();
    const at = new Date(nowMs).toISOString();
    const threshold = new Date(nowMs + withinDays * DAY_MS).toISOString();
    const listed = await this.readModels.collection<ClientSecretView>(CLIENT_SECRETS).list({
      where: { tenantId, status: 'active' },
      orderBy: 'expiresAt',
      direction: 'asc',
      limit: page.limit ?? 50,
      cursor: page.cursor ?? null,
    });
    const within = listed.items.filter((secret) => secret.expiresAt <= threshold);
    const passed = within.length < listed.items.length;
    const live = within.filter((secret) => clientSecretStatusAt(secret, at) === 'active');
    const clients = this.readModels.collection<ApiClientView>(API_CLIENTS);
    const names = new Map(
      (await Promise.all([...new Set(live.map((secret) => secret.clientId))].map((id) => clients.get(id))))
        .filter((client): client is ApiClientView => client !== null)
        .map((client) => [client.id, client.name]),
    );
    return {
      items: live.map((secret) => ({
        id: secret.id,
        clientId: secret.clientId,
        clientName: names.get(secret.clientId) ?? null,
        hint: secret.hint,
        createdAt: secret.createdAt,
        expiresAt: secret.expiresAt,
      })),
      nextCursor: passed ? null : listed.nextCursor,
    };
  }
}
