/** What every domain event is: a name for what happened and its data. */
export type DomainEventShape = { readonly type: string; readonly data: unknown };

/**
 * The event types of one aggregate, named once and complete by type, and the one place where an
 * event read back from the log (whose data the store gives as `unknown`) becomes a typed one.
 * That narrowing is sound because only deciders write to the log, each type at the version the
 * schema registry upcasts to on read (`EVENT_SCHEMAS`), so an event's type vouches for its data.
 */
export type EventFamily<Event extends DomainEventShape> = {
  readonly types: ReadonlySet<Event['type']>;
  /** Narrows a recorded event (envelope and all) to this family, by its type. */
  includes<Recorded extends { readonly type: string; readonly data: unknown }>(event: Recorded): event is Recorded & Event;
  /** The events of this family among `events`, typed: what a fold or a view reads. */
  pick<Recorded extends { readonly type: string; readonly data: unknown }>(events: readonly Recorded[]): (Recorded & Event)[];
};

/**
 * `eventFamily<PersonalTokenEvent>({ TokenIssued: true, TokenRevoked: true })`: the record must
 * name every type of the union and nothing else, so a new event type that nobody listed fails `tsc`.
 */
export const eventFamily = <Event extends DomainEventShape>(types: { readonly [Type in Event['type']]: true }): EventFamily<Event> =>
  familyOf(new Set(Object.keys(types)));

type EventOf<Family> = Family extends EventFamily<infer Event> ? Event : never;

/** Several families as one, for a reader (an index, a view) that folds events of more than one aggregate. */
export const eventFamilies = <Families extends readonly EventFamily<DomainEventShape>[]>(...families: Families): EventFamily<EventOf<Families[number]>> =>
  familyOf(new Set(families.flatMap((family) => [...family.types])));

const familyOf = <Event extends DomainEventShape>(names: ReadonlySet<string>): EventFamily<Event> => {
  const includes = <Recorded extends DomainEventShape>(event: Recorded): event is Recorded & Event => names.has(event.type);
  return {
    types: names as ReadonlySet<Event['type']>,
    includes,
    pick: (events) => events.filter(includes),
  };
};
