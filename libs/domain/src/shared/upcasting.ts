/**
 * Turns the data of one schema version of an event type into the next version's. Pure and
 * total: it runs on every read of an old event, so it may not consult anything but the data.
 */
export type Upcaster = (data: unknown) => unknown;

/** For each event type whose shape changed, its upcasters in order: index 0 turns v1 into v2. */
export type SchemaChanges = Readonly<Record<string, readonly Upcaster[]>>;

/**
 * Stored data is trusted to have the shape its version names, since only deciders write the
 * log (and its hash chain shows if anyone else did): the one cast of an upcaster is here.
 */
export const upcaster =
  <From, To>(change: (data: From) => To): Upcaster =>
  (data) =>
    change(data as From);

export class UnknownSchemaVersionError extends Error {
  constructor(readonly type: string, readonly version: number, readonly current: number) {
    super(
      version > current
        ? `${type} v${version} was written by a newer Keyhold (this one reads up to v${current}); upgrade this node before it reads the log.`
        : `${type} v${version} is not a schema version.`,
    );
    this.name = 'UnknownSchemaVersionError';
  }
}

export type EventSchemas = {
  /** The version new events of `type` are written at: 1 until its shape first changes. */
  currentVersion(type: string): number;
  /** The data of a `type` event stored at `version`, in the current version's shape. */
  upcast(type: string, version: number, data: unknown): unknown;
};

export const defineEventSchemas = (changes: SchemaChanges): EventSchemas => {
  const currentVersion = (type: string) => 1 + (changes[type]?.length ?? 0);
  return {
    currentVersion,
    upcast(type, version, data) {
      const current = currentVersion(type);
      if (!Number.isInteger(version) || version < 1 || version > current) throw new UnknownSchemaVersionError(type, version, current);
      return (changes[type] ?? []).slice(version - 1).reduce((upcast, change) => change(upcast), data);
    },
  };
};
