/** What every stored event carries besides its data; auditors rely on all of it. */
export type EventMetadata = {
  readonly eventId: string;
  readonly tenantId: string;
  /** Who asked: a user id, or `system:<component>` for the service itself. */
  readonly actorId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly occurredAt: string;
  readonly schemaVersion: number;
  /** Why, in the actor's words (the Keyhold-Reason request header), when they gave one. */
  readonly reason?: string;
};
