import { Integration, INTEGRATION_EVENTS, integrationsDecider } from '@keyhold/domain';
import { SecretHash, SecretHasher } from '@keyhold/crypto';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { IntegrationSecrets } from './integration-secrets';
import { integrationIn, integrationsStream, runOnIntegrations } from './integrations-stream';

type Activating = Extract<Integration, { status: 'activating' }>;

/** Which integration a consumer key belongs to, while its handshake runs and once active (the token index). */
export interface ConsumerKeyOwners {
  consumerKeyOwner(candidates: readonly SecretHash[]): { readonly tenantId: string; readonly integrationId: string } | null;
}

/**
 * Checks the signed request (RFC 5849: signature, then nonce) with the secrets that key it,
 * throwing the edge's own refusal: the request itself is the edge's to read.
 */
export type SignatureCheck = (consumerId: string, consumerSecret: string, tokenSecret: string) => void;

/** A consumer key nobody holds, or one whose secrets are gone: the handshake refuses it as the decider does an unknown integration. */
const consumerKeyUnknown = () => ApplicationError.rejected({ code: 'IntegrationNotFound', message: 'The consumer key is unknown or does not belong to this token.' });
const tokenRejected = () => ApplicationError.rejected({ code: 'RequestTokenInvalid', message: 'The token is unknown, expired, revoked or not for this consumer.' });

const matches = (candidates: readonly SecretHash[], stored: { hash: string; hashKeyId: string }) =>
  candidates.some((candidate) => SecretHasher.sameHash(candidate, { hash: stored.hash, keyId: stored.hashKeyId }));

/** The integration whose consumer key this is, with its handshake under way, read from the log. */
const activating = async (events: EventStore, owners: ConsumerKeyOwners, secrets: IntegrationSecrets, consumerKey: string): Promise<{ tenantId: string; integration: Activating }> => {
  const candidates = secrets.candidates(consumerKey);
  const owner = owners.consumerKeyOwner(candidates);
  if (!owner) throw consumerKeyUnknown();
  const { state } = await readState(events, integrationsStream(owner.tenantId), integrationsDecider, INTEGRATION_EVENTS);
  const integration = state.integrations.get(owner.integrationId);
  if (integration?.status !== 'activating') throw ApplicationError.rejected({ code: 'IntegrationNotActivating', message: 'The token is unknown, expired, revoked or not for this consumer.' });
  if (!matches(candidates, integration.handshake.consumerKey)) throw consumerKeyUnknown();
  return { tenantId: owner.tenantId, integration };
};

/** What the integration acts as in its handshake's events. */
const asIntegration = (context: RequestContext, integrationId: string): RequestContext => ({ ...context, actorId: `integration:${integrationId}` });

export type RequestTokenInput = { readonly consumerKey: string; readonly checkSignature: SignatureCheck; readonly now: string; readonly context: RequestContext };
export type IssuedTokenPairSecrets = { readonly token: string; readonly tokenSecret: string };

/** The handshake's first step: a request token, for a request signed with the consumer key and secret the callback URL received. */
export class IssueIntegrationRequestToken {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly owners: ConsumerKeyOwners,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ consumerKey, checkSignature, now, context }: RequestTokenInput): Promise<IssuedTokenPairSecrets> {
    const { tenantId, integration } = await activating(this.events, this.owners, this.secrets, consumerKey);
    const { integrationId } = integration;
    const opened = await this.secrets.open(integrationId, { consumerSecret: integration.handshake.sealedConsumerSecret });
    if (!opened?.consumerSecret) throw consumerKeyUnknown();
    checkSignature(integrationId, opened.consumerSecret, '');
    const pair = await this.secrets.issueTokenPair(integrationId, now, 'request');
    const command = { type: 'IssueIntegrationRequestToken' as const, integrationId, requestToken: pair.storedToken, sealedRequestTokenSecret: pair.sealedSecret, now };
    await runOnIntegrations(this.commands, tenantId, command, asIntegration(context, integrationId));
    return { token: pair.token, tokenSecret: pair.tokenSecret };
  }
}

export type AccessTokenInput = RequestTokenInput & { readonly requestToken: string; readonly verifier: string };

/** The handshake's second step: the access token, in exchange for the request token and the verifier the callback URL received. */
export class ExchangeIntegrationRequestToken {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly owners: ConsumerKeyOwners,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ consumerKey, requestToken, verifier, checkSignature, now, context }: AccessTokenInput): Promise<IssuedTokenPairSecrets> {
    const { tenantId, integration } = await activating(this.events, this.owners, this.secrets, consumerKey);
    const { integrationId } = integration;
    const pending = integration.handshake.requestToken;
    if (!pending || !matches(this.secrets.candidates(requestToken), pending.token)) throw tokenRejected();
    const opened = await this.secrets.open(integrationId, { consumerSecret: integration.handshake.sealedConsumerSecret, requestTokenSecret: pending.sealedSecret });
    if (!opened?.consumerSecret || !opened.requestTokenSecret) throw consumerKeyUnknown();
    checkSignature(integrationId, opened.consumerSecret, opened.requestTokenSecret);
    const pair = await this.secrets.issueTokenPair(integrationId, now, 'access');
    const command = {
      type: 'ExchangeIntegrationRequestToken' as const,
      integrationId,
      requestTokenId: pending.token.id,
      verifier: this.secrets.candidates(verifier),
      accessToken: pair.storedToken,
      accessTokenSecret: pair.storedSecret,
      sealedAccessTokenSecret: pair.sealedSecret,
      now,
    };
    await runOnIntegrations(this.commands, tenantId, command, asIntegration(context, integrationId));
    return { token: pair.token, tokenSecret: pair.tokenSecret };
  }
}

export type ConfirmActivationInput = { readonly tenantId: string; readonly integrationId: string; readonly returnState: string; readonly context: RequestContext };

/** The admin came back from the integration's identity link: the return state confirms the activation. */
export class ConfirmIntegrationActivation {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ tenantId, integrationId, returnState, context }: ConfirmActivationInput): Promise<Integration> {
    const command = { type: 'ConfirmIntegrationActivation' as const, integrationId, returnState: this.secrets.candidates(returnState), now: new Date().toISOString() };
    const { state } = await runOnIntegrations(this.commands, tenantId, command, { ...context, actorId: `integration-return:${integrationId}` });
    return integrationIn(state, integrationId);
  }
}
