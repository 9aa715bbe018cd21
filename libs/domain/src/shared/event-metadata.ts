/** What every stored event carries besides its data; auditors rely on all of it. */
export type EventMetadata = {
  readonly eventId: string;
  readonly tenantId: string;
  /** Who asked: a user id, or `system:<component>` for the service itself. */
  readonly actorId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly occurredAt: string;
  /** The version of the data's shape for this event type, as written (see upcasting.ts). */
  readonly schemaVersion: number;
  /** Why, in the actor's words (the Keyhold-Reason request header), when they gave one. */
  readonly reason?: string;
  /**
   * Tamper evidence, set by the event store on append (whatever the caller passed is replaced).
   * Absent on events written before chaining.
   */
  readonly integrity?: EventIntegrity;
};

/** SHA-256 (hex) links of an event to the one before it in its stream; null before revision 0. */
export type EventIntegrity = { readonly previousHash: string | null; readonly hash: string };
