import { Inject, Injectable } from '@nestjs/common';
import { READ_MODEL_STORE, ReadModelStore, TOKENS, TokenView } from '@keyhold/read-models';
import { Problem } from '../http/problem';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { TokenResponse } from './token.dto';

export const tokenStatus = (token: { status: 'active' | 'revoked'; expiresAt: string | null }, now: string) =>
  token.status === 'active' && token.expiresAt !== null && token.expiresAt <= now ? 'expired' : token.status;

/** Reads tokens from the read model only, within the caller's tenant and rights. */
@Injectable()
export class TokensQuery {
  constructor(
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    private readonly usage: UsageRecorder,
  ) {}

  async get(principal: Principal, tokenId: string): Promise<TokenResponse> {
    const token = await this.readModels.collection<TokenView>(TOKENS).get(tokenId);
    if (!token || !this.mayRead(principal, token)) throw new Problem('not-found', 'Token not found.');
    const [response] = await this.withUsage([token]);
    return response;
  }

  async list(principal: Principal, owner: string, limit: number, cursor: string | null) {
    const ownerId = owner === 'me' ? principal.actor.id : owner;
    if (ownerId !== principal.actor.id && !principal.permissions.has('tokens:read_all')) {
      throw new Problem('forbidden', "Listing other users' tokens needs 'tokens:read_all'.");
    }
    const page = await this.readModels.collection<TokenView>(TOKENS).list({
      where: ownerId === 'all' ? { tenantId: principal.tenantId } : { tenantId: principal.tenantId, ownerId },
      orderBy: 'createdAt',
      direction: 'desc',
      limit,
      cursor,
    });
    return { items: await this.withUsage(page.items), nextCursor: page.nextCursor };
  }

  private mayRead(principal: Principal, token: TokenView): boolean {
    return (
      token.tenantId === principal.tenantId &&
      (token.ownerId === principal.actor.id || principal.permissions.has('tokens:read_all'))
    );
  }

  private async withUsage(tokens: TokenView[]): Promise<TokenResponse[]> {
    const lastUsed = await this.usage.lastUsedAt(tokens.map((token) => token.id));
    const now = new Date().toISOString();
    return tokens.map((token) => ({
      id: token.id,
      ownerId: token.ownerId,
      label: token.label,
      scope: token.scope,
      status: tokenStatus(token, now),
      hint: token.hint,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      revokedAt: token.revokedAt,
      lastUsedAt: lastUsed.get(token.id) ?? null,
    }));
  }
}
