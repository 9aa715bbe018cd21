import { accessTokenDecider, streamName } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { RevocationEnforcement } from '../personal-tokens/revoke-token';

/** A sealed access token as its revoker presented it (RFC 7009): its expiry bounds how long the denial is kept. */
export type RevocableAccessToken = { readonly tenantId: string; readonly tokenId: string; readonly clientId: string; readonly expiresAt: string };

export type RevokeAccessTokenInput = { readonly token: RevocableAccessToken; readonly context: RequestContext };

/** Revokes one access token; answers once this node denies it. */
export class RevokeAccessToken {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly enforcement: RevocationEnforcement,
  ) {}

  async execute({ token, context }: RevokeAccessTokenInput): Promise<void> {
    const now = new Date().toISOString();
    const { tenantId, tokenId, clientId, expiresAt } = token;
    const result = await this.commands.run(
      streamName('accessToken', tokenId),
      accessTokenDecider,
      { type: 'RevokeAccessToken', tenantId, tokenId, clientId, expiresAt, revokedBy: context.actorId, now },
      { ...context, tenantId, now },
    );
    await this.enforcement.confirmRevocation(result.position);
  }
}
