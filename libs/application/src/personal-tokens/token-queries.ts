import { PERSONAL_TOKEN_EVENTS, personalTokensDecider, streamName } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { Page, ReadModelStore, TOKENS, TokenView } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';
import { RequestContext } from '../command-pipeline';
import { latestStreamRevision, revisionOf } from '../tenant-resource';
import { detailsOfViews, mayReadToken, TokenDetails, TokenUsage } from './token-details';

export type GetTokenInput = { readonly tenantId: string; readonly tokenId: string; readonly context: RequestContext };

/** One token, and the revision of its owner's stream: what an ETag names and an If-Match expects. */
export type TokenAtRevision = { readonly token: TokenDetails; readonly revision: number };

/** A token from the read model, within the caller's tenant and rights. */
export class GetPersonalToken {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly usage: TokenUsage,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, tokenId, context }: GetTokenInput): Promise<TokenAtRevision> {
    const view = await this.readModels.collection<TokenView>(TOKENS).get(tokenId);
    if (!view || !mayReadToken(tenantId, context, view)) throw ApplicationError.notFound('Token not found.');
    const kept = await latestStreamRevision<TokenView>(this.readModels, TOKENS, { ownerId: view.ownerId });
    const revision = await revisionOf(kept, this.events, streamName('personalTokens', view.ownerId), personalTokensDecider, PERSONAL_TOKEN_EVENTS, 'Token not found.');
    const [token] = await detailsOfViews(this.usage, [view]);
    return { token, revision };
  }
}

export type ListTokensInput = {
  readonly tenantId: string;
  /** 'me', 'all', or a user id. */
  readonly owner: string;
  readonly limit: number;
  readonly cursor: string | null;
  readonly context: RequestContext;
};

/** A page of tokens, newest first: the caller's own, or (with tokens:read_all) a user's or the tenant's. */
export class ListPersonalTokens {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly usage: TokenUsage,
  ) {}

  async execute({ tenantId, owner, limit, cursor, context }: ListTokensInput): Promise<Page<TokenDetails>> {
    const ownerId = owner === 'me' ? context.actorId : owner;
    if (ownerId !== context.actorId && !context.caller.permissions.has('tokens:read_all')) {
      throw ApplicationError.forbidden("Listing other users' tokens needs 'tokens:read_all'.");
    }
    const page = await this.readModels.collection<TokenView>(TOKENS).list({
      where: ownerId === 'all' ? { tenantId } : { tenantId, ownerId },
      orderBy: 'createdAt',
      direction: 'desc',
      limit,
      cursor,
    });
    return { items: await detailsOfViews(this.usage, page.items), nextCursor: page.nextCursor };
  }
}
