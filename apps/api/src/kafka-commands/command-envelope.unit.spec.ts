import { randomUUID } from 'node:crypto';
import { compactDecrypt, CompactSign, exportJWK, generateKeyPair } from 'jose';
import { claimedSender, KafkaCommandEnvelope, verifySignature } from './command-envelope';
import { CommandRefused } from './command-refusal';
import { validMessagePart } from './message-validation';
import { encryptForReply, importReplyKey } from './reply-encryption';

/** What `run` refused with, thrown or rejected. */
const refusedBy = async (run: () => unknown): Promise<CommandRefused> => {
  const error = await Promise.resolve()
    .then(run)
    .then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(CommandRefused);
  return error as CommandRefused;
};

describe('Kafka command envelope', () => {
  const sender = { commandId: randomUUID(), tenantId: randomUUID(), serviceAccountId: randomUUID() };
  const signed = async (payload: unknown, privateKey: Parameters<CompactSign['sign']>[0]) =>
    Buffer.from(await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey));

  it('reads the claimed sender of a compact JWS, and refuses anything else as malformed', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(claimedSender(await signed(sender, privateKey))).toMatchObject(sender);
    expect((await refusedBy(() => claimedSender(Buffer.from('{"a": 1}')))).code).toBe('malformed');
    expect((await refusedBy(() => claimedSender(null))).code).toBe('malformed');
    const anonymous = await signed({ commandId: sender.commandId }, privateKey);
    expect(await refusedBy(() => claimedSender(anonymous))).toMatchObject({ code: 'invalid-envelope', commandId: sender.commandId });
  });

  it('verifies the signature with the registered key only', async () => {
    const registered = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const publicKey = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: (await exportJWK(registered.publicKey)).x! };
    expect(await verifySignature(claimedSender(await signed(sender, registered.privateKey)), publicKey)).toEqual(sender);
    const forged = claimedSender(await signed(sender, other.privateKey));
    expect(await refusedBy(() => verifySignature(forged, publicKey))).toMatchObject({ code: 'unauthenticated', commandId: sender.commandId });
  });
});

describe('Message validation', () => {
  const valid = { commandId: randomUUID(), type: 'service-account.reset-secret', tenantId: randomUUID(), serviceAccountId: randomUUID(), issuedAt: new Date().toISOString(), payload: {} };
  const refusal = { code: 'invalid-envelope', part: 'envelope', commandId: valid.commandId } as const;

  it('answers an instance of the class for a valid part', async () => {
    const envelope = await validMessagePart(KafkaCommandEnvelope, valid, refusal);
    expect(envelope).toBeInstanceOf(KafkaCommandEnvelope);
    expect(envelope).toMatchObject(valid);
  });

  it('refuses unknown members and broken rules, naming fields and rules but never a value', async () => {
    const pasted = 'kh_cs_pasted-into-the-wrong-member';
    const unknown = await refusedBy(() => validMessagePart(KafkaCommandEnvelope, { ...valid, clientSecret: pasted }, refusal));
    expect(unknown).toMatchObject({ code: 'invalid-envelope', commandId: valid.commandId, reason: 'envelope: property clientSecret should not exist' });
    const broken = await refusedBy(() => validMessagePart(KafkaCommandEnvelope, { ...valid, tenantId: pasted }, { ...refusal, code: 'validation-error', part: 'payload' }));
    expect(broken).toMatchObject({ code: 'validation-error', reason: 'payload: tenantId must be a UUID' });
    expect(JSON.stringify([unknown, broken, unknown.reason, broken.reason])).not.toContain(pasted);
  });
});

describe('Reply encryption', () => {
  it('encrypts to a public EC or X25519 key, and only its private half opens it', async () => {
    for (const crv of ['P-256', 'X25519']) {
      const pair = await generateKeyPair('ECDH-ES', { crv });
      const jwe = await encryptForReply({ clientSecret: 'kh_cs_example' }, await importReplyKey({ ...(await exportJWK(pair.publicKey)) }, 'c-1'));
      expect(jwe).not.toContain('kh_cs_example');
      expect(JSON.parse(new TextDecoder().decode((await compactDecrypt(jwe, pair.privateKey)).plaintext))).toEqual({ clientSecret: 'kh_cs_example' });
    }
  });

  it('refuses a missing key, a private key and keys that cannot agree on a content key', async () => {
    const ec = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
    const signing = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    for (const jwk of [undefined, await exportJWK(ec.privateKey), await exportJWK(signing.publicKey), { kty: '__proto__', crv: 'P-256' }, { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }]) {
      expect(await refusedBy(() => importReplyKey(jwk as Record<string, unknown> | undefined, 'c-1'))).toMatchObject({ code: 'validation-error', commandId: 'c-1' });
    }
  });
});
