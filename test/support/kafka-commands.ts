import { randomUUID } from 'node:crypto';
import { compactDecrypt, CompactSign, exportJWK, generateKeyPair, JWK, KeyLike } from 'jose';
import { Consumer, Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { KeyholdHarness } from './keyhold-harness';

export type Envelope = { commandId: string; type: string; tenantId: string; serviceAccountId: string; issuedAt: string; payload: unknown; replyKey?: JWK };

/** Everything the results and dead-letter topics carried, by topic. */
export class TopicLog {
  readonly messages: Array<{ topic: string; key: string | null; value: string }> = [];

  record = async ({ topic, message }: { topic: string; message: KafkaMessage }) => {
    this.messages.push({ topic, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '' });
  };

  async next(topic: string, match: (value: any, key: string | null) => boolean, after = 0, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(after).find((m) => m.topic === topic && match(JSON.parse(m.value), m.key));
      if (found) return JSON.parse(found.value);
      if (Date.now() > deadline) throw new Error(`nothing on ${topic} matched; saw ${this.messages.map((m) => m.value).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  count(topic: string, match: (value: any) => boolean): number {
    return this.messages.filter((m) => m.topic === topic && match(JSON.parse(m.value))).length;
  }
}

/**
 * Keyhold on a real Kafka with its own command topics, a tenant whose service account ("provisioner",
 * clients:write) has a registered command-signing key, a second account to act on ("nightly export"),
 * and a reader of the results and dead-letter topics. Built in a describe block, started in beforeAll.
 */
export class KafkaCommandRig {
  readonly topics: { commands: string; results: string; deadLetters: string };
  readonly log = new TopicLog();
  /** Every value published to the commands topic, to scan for secrets. */
  readonly sent: string[] = [];
  keyhold!: KeyholdHarness;
  admin!: { tenantId: string; token: string };
  commander!: { id: string; privateKey: KeyLike };
  target!: { id: string };
  reply!: { publicJwk: JWK; privateKey: KeyLike };
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private producer?: Producer;
  private consumer?: Consumer;

  constructor(private readonly brokers: string, name: string) {
    this.prefix = `${name}-${randomUUID().slice(0, 8)}`;
    this.topics = { commands: `${this.prefix}.commands.v1`, results: `${this.prefix}.command-results.v1`, deadLetters: `${this.prefix}.commands.dead-letter.v1` };
    this.kafka = new Kafka({ clientId: name, brokers: this.brokers.split(','), logLevel: logLevel.NOTHING });
  }

  async start(): Promise<void> {
    const kafkaAdmin = this.kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({ topics: Object.values(this.topics).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    await kafkaAdmin.disconnect();
    this.keyhold = await KeyholdHarness.start(undefined, { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: this.brokers, KAFKA_COMMAND_TOPIC_PREFIX: this.prefix });
    this.producer = this.kafka.producer();
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: `${this.prefix}-reader`, maxWaitTimeInMs: 250 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.results, this.topics.deadLetters], fromBeginning: true });
    await this.consumer.run({ eachMessage: this.log.record });

    const keyhold = this.keyhold;
    this.admin = await keyhold.bootstrap(`cmd-${randomUUID().slice(0, 8)}`);
    const created = await keyhold.post('/v1/service-accounts', this.admin.token, { name: 'provisioner' });
    const granted = await keyhold.request('PUT', `/v1/service-accounts/${created.body.id}/permissions/clients:write`, { token: this.admin.token });
    expect(granted.status).toBe(200);
    const signing = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const registered = await keyhold.request('PUT', `/v1/service-accounts/${created.body.id}/command-signing-key`, { token: this.admin.token, json: await exportJWK(signing.publicKey) });
    expect(registered.status).toBe(200);
    expect(registered.body.commandSigningKey.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await keyhold.get(`/v1/service-accounts/${created.body.id}`, this.admin.token)).body.commandSigningKeyThumbprint).toBe(registered.body.commandSigningKey.thumbprint);
    this.commander = { id: created.body.id, privateKey: signing.privateKey };
    this.target = { id: (await keyhold.post('/v1/service-accounts', this.admin.token, { name: 'nightly export' })).body.id };
    const replyPair = await generateKeyPair('ECDH-ES', { crv: 'P-256' });
    this.reply = { publicJwk: await exportJWK(replyPair.publicKey), privateKey: replyPair.privateKey };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.keyhold?.stop();
  }

  send = async (value: string) => {
    this.sent.push(value);
    await this.producer!.send({ topic: this.topics.commands, messages: [{ value }] });
  };

  sign = async (envelope: Envelope, privateKey: KeyLike = this.commander.privateKey) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(envelope))).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);

  /** A command from the provisioner, in this tenant, issued now, with the reply key. */
  envelope = (type: string, payload: unknown, extra: Partial<Envelope> = {}): Envelope => ({
    commandId: randomUUID(),
    type,
    tenantId: this.admin.tenantId,
    serviceAccountId: this.commander.id,
    issuedAt: new Date().toISOString(),
    payload,
    replyKey: this.reply.publicJwk,
    ...extra,
  });

  resultOf = (commandId: string, after = 0) => this.log.next(this.topics.results, (value, key) => key === commandId && value.commandId === commandId, after);

  deadLetterOf = (match: (value: any) => boolean) => this.log.next(this.topics.deadLetters, match);

  decryptSecrets = async (jwe: string) => JSON.parse(new TextDecoder().decode((await compactDecrypt(jwe, this.reply.privateKey)).plaintext));
}
