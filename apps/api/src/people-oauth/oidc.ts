import { Inject, Injectable } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import {
  currentSigningKey,
  publishedSigningKeys,
  SIGNING_KEY_EVENTS,
  SIGNING_KEYS_STREAM_ID,
  SigningKey,
  signingKeyDecider,
  streamName,
} from '@keyhold/domain';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { DataKeyService, decryptValue, encryptValue } from '@keyhold/key-store';
import { CommandRunner } from '../command-runner';
import { ApplicationError } from '@keyhold/application';
import { readState } from '@keyhold/application';

/** ID tokens prove a sign-in, they open nothing: 15 minutes, whatever people's access tokens live. */
const ID_TOKEN_LIFETIME_SECONDS = 15 * 60;

/** Signing keys are Keyhold's, not a tenant's: their events carry this tenant id. */
const PLATFORM_TENANT = '00000000-0000-0000-0000-000000000000';
const STREAM = streamName('signingKeys', SIGNING_KEYS_STREAM_ID);
const FIELD = 'privateJwk';
const ownerOf = (kid: string) => `oidc-signing-key-${kid}`;

export type IdTokenClaims = { issuer: string; subject: string; audience: string; tenantId: string; nonce: string | null; authTime?: number };

/**
 * ID-token signing (OpenID Connect Core §2) with ES256 keys that Keyhold generates and rotates
 * itself: rotation is an event (SigningKeyAdded), the private key is sealed under its own data
 * key (envelope encryption, like connection credentials), and the JWKS publishes the current key
 * and the previous one until everything it signed has expired.
 */
@Injectable()
export class OidcSigning {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly runner: CommandRunner,
    private readonly dataKeys: DataKeyService,
  ) {}

  async jwks(now = new Date().toISOString()): Promise<{ keys: Array<Record<string, string>> }> {
    const state = await this.state();
    const published = publishedSigningKeys(state, now);
    return { keys: (published.length > 0 ? published : [await this.current(now)]).map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' })) };
  }

  async idToken(claims: IdTokenClaims): Promise<string> {
    const now = new Date().toISOString();
    const key = await this.current(now);
    const dataKey = await this.dataKeys.get(ownerOf(key.kid));
    const privateJwk = JSON.parse(decryptValue(dataKey, FIELD, key.privateKey)) as JWK;
    const issuedAt = Math.floor(Date.parse(now) / 1000);
    return new SignJWT({ tenant_id: claims.tenantId, ...(claims.nonce ? { nonce: claims.nonce } : {}) })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(claims.issuer)
      .setSubject(claims.subject)
      .setAudience(claims.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ID_TOKEN_LIFETIME_SECONDS)
      .sign(await importJWK(privateJwk, 'ES256'));
  }

  /** The key to sign with, rotating first when there is none or it is due. Two nodes racing: one wins, both use its key. */
  private async current(now: string): Promise<SigningKey> {
    const existing = currentSigningKey(await this.state(), now);
    if (existing) return existing;
    const kid = randomUUID();
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const dataKey = await this.dataKeys.create(ownerOf(kid), now);
    const sealed = encryptValue(dataKey, FIELD, JSON.stringify(await exportJWK(privateKey)));
    const { kty, crv, x, y } = await exportJWK(publicKey);
    try {
      await this.runner.run(
        STREAM,
        signingKeyDecider,
        { type: 'RotateSigningKey', kid, publicJwk: { kty: kty!, crv: crv!, x: x!, y: y! }, privateKey: sealed, now },
        { tenantId: PLATFORM_TENANT, actorId: 'system:oidc', correlationId: kid, causationId: kid, now },
      );
    } catch (error) {
      if (!(error instanceof ApplicationError && (error.failure.kind === 'conflict' || error.failure.kind === 'rejected'))) throw error;
      await this.dataKeys.destroy(ownerOf(kid), now);
    }
    const rotated = currentSigningKey(await this.state(), now);
    if (!rotated) throw new Error('No OpenID Connect signing key after rotation.');
    return rotated;
  }

  private async state() {
    return (await readState(this.events, STREAM, signingKeyDecider, SIGNING_KEY_EVENTS)).state;
  }
}
