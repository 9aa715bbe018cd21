import { IsObject, IsOptional, IsUUID, Matches } from 'class-validator';
import { compactVerify, importJWK } from 'jose';
import { CommandSigningKey } from '@keyhold/domain';
import { IsInstant } from '../http/instant';
import { CommandRefused } from './command-refusal';

/** The JWS payload of a command, validated like any REST body (unknown members are refused). */
export class KafkaCommandEnvelope {
  @IsUUID()
  commandId!: string;

  @Matches(/^[a-z][a-z0-9.-]{0,63}$/, { message: 'type must be a command type such as service-account.reset-secret' })
  type!: string;

  @IsUUID()
  tenantId!: string;

  @IsUUID()
  serviceAccountId!: string;

  @IsInstant()
  issuedAt!: string;

  /** Validated afterwards with the DTO of the command type. */
  @IsObject()
  payload!: Record<string, unknown>;

  /** A public JWK that secrets in the result are encrypted to (ECDH-ES + A256GCM). */
  @IsOptional()
  @IsObject()
  replyKey?: Record<string, unknown>;
}

/** A compact JWS and who it claims to come from, read before its signature can be checked. */
export type ClaimedSender = { readonly jws: string; readonly commandId: string | null; readonly tenantId: string; readonly serviceAccountId: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const parseJson = (bytes: Buffer | Uint8Array): unknown => {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the sender out of an unverified compact JWS: only to find the key that must have
 * signed it. Nothing else of the payload is trusted before `verifySignature`.
 */
export const claimedSender = (value: Buffer | null): ClaimedSender => {
  const jws = value?.toString('utf8').trim() ?? '';
  if (!COMPACT_JWS.test(jws)) throw new CommandRefused('malformed', 'The message is not a compact JWS (header.payload.signature).', null);
  const payload = parseJson(Buffer.from(jws.split('.')[1], 'base64url'));
  if (!isRecord(payload)) throw new CommandRefused('malformed', 'The JWS payload is not a JSON object.', null);
  const commandId = typeof payload.commandId === 'string' && UUID.test(payload.commandId) ? payload.commandId : null;
  const { tenantId, serviceAccountId } = payload;
  if (typeof tenantId !== 'string' || typeof serviceAccountId !== 'string' || !UUID.test(tenantId) || !UUID.test(serviceAccountId)) {
    throw new CommandRefused('invalid-envelope', 'The envelope must name its tenantId and serviceAccountId (UUIDs).', commandId);
  }
  return { jws, commandId, tenantId, serviceAccountId };
};

/** Checks an EdDSA signature with the account's registered key and answers the signed payload. */
export const verifySignature = async ({ jws, commandId }: ClaimedSender, publicKey: CommandSigningKey): Promise<Record<string, unknown>> => {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK({ ...publicKey }, 'EdDSA'), { algorithms: ['EdDSA'] }));
  } catch {
    throw new CommandRefused('unauthenticated', "The signature does not verify with the service account's command-signing key.", commandId);
  }
  const envelope = parseJson(payload);
  if (!isRecord(envelope)) throw new CommandRefused('malformed', 'The JWS payload is not a JSON object.', commandId);
  return envelope;
};
