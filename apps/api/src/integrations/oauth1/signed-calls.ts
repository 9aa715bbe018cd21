import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { IntegrationSecrets } from '@keyhold/application';
import { Problem } from '../../http/problem';
import { CredentialIndexService } from '../../verification/credential-index.service';
import { Principal } from '../../verification/principal';
import { IntegrationTokenIndex } from '../integration-token-index';
import { OAuth1Refusal, OAuth1Signatures, refuse } from './oauth1-signatures';

/**
 * API calls signed with OAuth 1.0a (consumer key + access token, HMAC-SHA256): the same
 * principal as the access token presented as a bearer, once the signature, the timestamp and
 * the nonce check out. Refusals are 401 problems carrying `oauth_problem` for `WWW-Authenticate: OAuth`.
 */
@Injectable()
export class SignedCalls {
  constructor(
    private readonly signatures: OAuth1Signatures,
    private readonly index: IntegrationTokenIndex,
    private readonly secrets: IntegrationSecrets,
    private readonly credentials: CredentialIndexService,
  ) {}

  async verify(request: FastifyRequest, now: string): Promise<Principal> {
    try {
      return await this.principalOf(request, now);
    } catch (error) {
      if (error instanceof OAuth1Refusal) throw new Problem('unauthenticated', error.detail, { oauth_problem: error.problem });
      throw error;
    }
  }

  private async principalOf(request: FastifyRequest, now: string): Promise<Principal> {
    const nowMs = Date.parse(now);
    const signed = this.signatures.read(request, ['oauth_token'], nowMs);
    const token = this.index.signedCallCredentials(this.secrets.candidates(signed.oauth.oauth_token)) ?? refuse('token_rejected');
    const consumer = this.index.consumerKeyOwner(this.secrets.candidates(signed.oauth.oauth_consumer_key));
    if (consumer?.integrationId !== token.integrationId) refuse('consumer_key_unknown');
    const opened = await this.secrets.open(token.integrationId, { consumerSecret: token.signing.consumerSecret, accessTokenSecret: token.signing.accessTokenSecret });
    if (!opened?.consumerSecret || !opened.accessTokenSecret) return refuse('token_rejected');
    this.signatures.verify(signed, token.integrationId, opened.consumerSecret, opened.accessTokenSecret, nowMs);
    // Staleness and early denials apply as to the bearer form of the same token.
    return (await this.credentials.verify(signed.oauth.oauth_token, now)) ?? refuse('token_rejected');
  }
}
