/** Read-model documents are plain JSON objects with a string id. */
export type ReadModelDocument = { readonly id: string } & Record<string, unknown>;

export type FieldValue = string | number | boolean | null;

export type ListQuery<T extends ReadModelDocument> = {
  /** Equality on each named field. */
  readonly where: Partial<{ [K in keyof T]: FieldValue }>;
  /** A field that is never null: SQL and MongoDB order nulls differently, so keysets over them differ. */
  readonly orderBy: keyof T & string;
  readonly direction: 'asc' | 'desc';
  readonly limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string | null;
  /** Values of one field from `from` (inclusive) to `to` (exclusive), compared as stored: ISO instants compare as text. */
  readonly range?: { readonly field: keyof T & string; readonly from?: string | number; readonly to?: string | number };
  /** Documents whose field equals any of the values: a filter on several types of one kind. */
  readonly anyOf?: { readonly field: keyof T & string; readonly values: readonly (string | number)[] };
};

export type Page<T> = { readonly items: T[]; readonly nextCursor: string | null };

export class InvalidCursorError extends Error {
  constructor() {
    super('The pagination cursor is not valid.');
    this.name = 'InvalidCursorError';
  }
}

export interface ReadModelCollection<T extends ReadModelDocument> {
  get(id: string): Promise<T | null>;
  /**
   * Writes `doc` only if its `version` sorts after the stored one (or none is stored), and
   * answers whether it wrote. Projections pass the event's global position, so a replayed or
   * duplicated event never moves a document backwards.
   */
  putIfNewer(doc: T, version: string): Promise<boolean>;
  /**
   * `putIfNewer` for each entry (distinct ids) in as few writes as the store can make (SQLite:
   * one transaction, not one per document; MongoDB: one read and one bulk write): for a burst of
   * small writes off the event path, such as tokens' last use, whose per-write cost would
   * otherwise land on the serving thread once per document.
   */
  putAllIfNewer(entries: ReadonlyArray<{ readonly doc: T; readonly version: string }>): Promise<void>;
  list(query: ListQuery<T>): Promise<Page<T>>;
  /**
   * Removes every document whose `field` sorts before `value` (compared as stored, as `range`
   * does), in one statement, and answers how many it removed: for documents the read side needs
   * only until an instant. Removing again, or from several processes at once, removes nothing more.
   */
  removeBefore(field: keyof T & string, value: string | number): Promise<number>;
  /** Removes every document: used by rebuilds and tests. */
  clear(): Promise<void>;
}

export type CollectionDefinition = {
  readonly name: string;
  /** Field lists the queries filter and sort on, in order. */
  readonly indexes: ReadonlyArray<readonly string[]>;
};

/** The read side: document collections and projection checkpoints. */
export interface ReadModelStore {
  collection<T extends ReadModelDocument>(definition: CollectionDefinition): ReadModelCollection<T>;
  getCheckpoint(projection: string): Promise<string | null>;
  saveCheckpoint(projection: string, position: string): Promise<void>;
  /**
   * Runs a burst of writes as one unit where that is much cheaper (SQLite: one transaction, not
   * one per write; MongoDB: the writes held and made as one bulk write per collection when `work`
   * ends), for a rebuild's batches. Work that throws writes nothing. Inside, reads see the
   * batch's writes, and `putIfNewer` may answer against what the batch knows rather than the
   * store (a newer document already stored still wins). Only for a connection with no other
   * writer: on SQLite other writes made meanwhile join the unit. Stores without it simply run `work`.
   */
  batch?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Fills `collections` at the store's fastest: indexes built once when `load` ends rather than
   * kept up write by write. Answers once they are indexed again. For collections that nothing
   * reads yet (a rebuild's fresh generation) or that are filled from nothing (a catch-up of
   * dropped read models), whose readers meanwhile get slower answers. Stores without it simply run `load`.
   */
  bulkLoad?<T>(collections: readonly CollectionDefinition[], load: () => Promise<T>): Promise<T>;
  /**
   * Lets other connections' writers in after a long burst of writes (a rebuild's batch), where
   * the store has one writer at a time (SQLite: those waiting retry every few milliseconds, so a
   * pause a little longer than that lets them through, instead of a rebuild committing batch
   * after batch while a serving node's writes wait for a gap). Stores without it need no pause.
   * A long writer calls it between its writes, on a thread that may wait (SQLite copies a long
   * WAL back here).
   */
  leaveRoomForOtherWriters?(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const READ_MODEL_STORE = Symbol('ReadModelStore');

/** Cursors carry the last item's sort value and id, so pages stay stable while documents are added. */
export const encodeCursor = (sortValue: unknown, id: string): string =>
  Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');

export const decodeCursor = (cursor: string): { sortValue: FieldValue; id: string } => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[1] === 'string') {
      const [sortValue, id] = decoded as [unknown, string];
      if (sortValue === null || ['string', 'number', 'boolean'].includes(typeof sortValue)) {
        return { sortValue: sortValue as FieldValue, id };
      }
    }
  } catch {
    // fall through: anything unparsable is simply not a cursor of ours
  }
  throw new InvalidCursorError();
};
