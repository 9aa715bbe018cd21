import { createHash, timingSafeEqual } from 'node:crypto';
import { SecretHash } from '@keyhold/crypto';

/** Bytes per slot: a HMAC-SHA-256, a UUID. */
const HASH_BYTES = 32;
const ID_BYTES = 16;
const INITIAL_CAPACITY = 64;
/** A slot's flag: found by its hash (a retired slot is known by its id only). */
const FINDABLE = 1;

/** Our hashes: HMAC-SHA-256 in canonical base64url (43 characters, the last one carrying 4 bits). */
const CANONICAL_HASH = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Ids as `randomUUID()` writes them, kept as their 16 bytes; any other id is kept as it is. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes a hash as 32 bytes at `offset`: ours decoded, any other form (a test's, an import's) as its SHA-256, so equal hashes stay equal. */
const writeHash = (hash: string, target: Buffer, offset: number): void => {
  if (CANONICAL_HASH.test(hash)) target.write(hash, offset, HASH_BYTES, 'base64url');
  else createHash('sha256').update(hash).digest().copy(target, offset);
};

const hexDigit = (code: number): number => (code <= 57 ? code - 48 : code - 87);

/** Writes a UUID's 16 bytes at `offset`; false, writing nothing, for any other id. */
const writeUuid = (id: string, target: Buffer, offset: number): boolean => {
  if (!UUID.test(id)) return false;
  for (let i = 0, at = offset; i < id.length; i += 1) {
    if (id.charCodeAt(i) === 45) continue; // '-'
    target[at] = (hexDigit(id.charCodeAt(i)) << 4) | hexDigit(id.charCodeAt(i + 1));
    at += 1;
    i += 1;
  }
  return true;
};

/** FNV-1a over the characters of an id that is not a UUID: where its cell search starts. */
const otherIdHome = (id: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/** A copy of `array` with room for at least `length` elements (doubling), or `array` itself if it has. */
export const withRoom = <A extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(array: A, length: number): A => {
  if (length <= array.length) return array;
  let size = Math.max(array.length, INITIAL_CAPACITY);
  while (size < length) size *= 2;
  const grown = new (array.constructor as new (size: number) => A)(size);
  grown.set(array);
  return grown;
};

/** A copy of `buffer` grown to `bytes` (zeros after its end), or `buffer` itself if it is that long. */
const bufferOfLength = (buffer: Buffer, bytes: number): Buffer => (buffer.length >= bytes ? buffer : Buffer.concat([buffer, Buffer.alloc(bytes - buffer.length)]));

/** A table cell that holds no slot; a filled one holds its slot + 1. */
const EMPTY = 0;

/**
 * An open-addressing table of slot numbers (linear probing, deletion by backward shift, so no
 * tombstones pile up), at most half full. `homeOf` says where a slot's search starts.
 */
class SlotTable {
  private cells: Int32Array = new Int32Array(INITIAL_CAPACITY * 2);
  private mask = this.cells.length - 1;
  private count = 0;

  constructor(private readonly homeOf: (slot: number) => number) {}

  /** The first slot, from `home` on, that `matches`; -1 when none does. */
  search(home: number, matches: (slot: number) => boolean): number {
    for (let cell = home & this.mask; this.cells[cell] !== EMPTY; cell = (cell + 1) & this.mask) {
      const slot = this.cells[cell] - 1;
      if (matches(slot)) return slot;
    }
    return -1;
  }

  insert(slot: number): void {
    if ((this.count + 1) * 2 > this.cells.length) this.resize(this.cells.length * 2);
    let cell = this.homeOf(slot) & this.mask;
    while (this.cells[cell] !== EMPTY) cell = (cell + 1) & this.mask;
    this.cells[cell] = slot + 1;
    this.count += 1;
  }

  remove(slot: number): void {
    let cell = this.homeOf(slot) & this.mask;
    while (this.cells[cell] !== slot + 1) {
      if (this.cells[cell] === EMPTY) return;
      cell = (cell + 1) & this.mask;
    }
    // Backward shift: pull later entries of the run into the hole when their home allows it.
    let hole = cell;
    for (let next = (hole + 1) & this.mask; this.cells[next] !== EMPTY; next = (next + 1) & this.mask) {
      const home = this.homeOf(this.cells[next] - 1) & this.mask;
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        this.cells[hole] = this.cells[next];
        hole = next;
      }
    }
    this.cells[hole] = EMPTY;
    this.count -= 1;
  }

  /** How many slots it holds. */
  get size(): number {
    return this.count;
  }

  /** Its cells, shared (the caller writes them out before anything changes). */
  state(): Int32Array {
    return this.cells;
  }

  /** Takes over cells that `state()` gave, holding `count` slots. */
  restore(cells: Int32Array, count: number): void {
    this.cells = cells;
    this.mask = cells.length - 1;
    this.count = count;
  }

  private resize(size: number): void {
    const old = this.cells;
    this.cells = new Int32Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (const entry of old) if (entry !== EMPTY) this.insert(entry - 1);
  }
}

/**
 * What a SecretSlots holds, for a snapshot of the credential index: its buffers up to the last
 * slot used, the small tables beside them (keyed hashes and ids, never a secret), and the cells
 * of its two lookup tables with how many each holds: taking them over is a copy of bytes, where
 * rebuilding them took a million random inserts each.
 */
export type SecretSlotsState = {
  readonly byHash: Int32Array;
  readonly findable: number;
  readonly byId: Int32Array;
  readonly known: number;
  readonly hashes: Buffer;
  readonly ids: Buffer;
  readonly keyIdNumbers: Uint16Array;
  readonly flags: Uint8Array;
  readonly keyIds: readonly string[];
  readonly otherIds: ReadonlyMap<number, string>;
  readonly freeSlots: readonly number[];
};

/**
 * Secrets of one kind by hash, without one JS object per secret: each has a slot, and a slot's
 * hash, id and hash key live in shared buffers, found through two typed-array tables (by the
 * hash's first bytes and by id). The table finds the candidate; the full hash is then compared
 * in constant time, so lookup timing tells nothing even about the hash. A slot can stop being
 * findable by its hash while its id stays known (`retire`), for indexes that remember whose a
 * revoked credential was; `remove` forgets it and reuses the slot.
 */
export class SecretSlots {
  private hashes: Buffer = Buffer.alloc(INITIAL_CAPACITY * HASH_BYTES);
  private ids: Buffer = Buffer.alloc(INITIAL_CAPACITY * ID_BYTES);
  private keyIdNumbers: Uint16Array = new Uint16Array(INITIAL_CAPACITY);
  private flags: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  private keyIds: string[] = [];
  /** Ids that are not UUIDs, by slot (rare: tests and old data). */
  private otherIds = new Map<number, string>();
  private readonly byHash = new SlotTable((slot) => this.hashes.readUInt32LE(slot * HASH_BYTES));
  /** A UUID's first bytes are random already; other ids are hashed. */
  private readonly byId = new SlotTable((slot) => {
    const other = this.otherIds.get(slot);
    return other === undefined ? this.ids.readUInt32LE(slot * ID_BYTES) : otherIdHome(other);
  });
  private freeSlots: number[] = [];
  /** The id or hash being looked for, written here rather than into a new buffer per lookup. */
  private readonly wantedId = Buffer.alloc(ID_BYTES);
  private readonly wantedHash = Buffer.alloc(HASH_BYTES);
  private wantedKeyIdNumber = -1;
  private wantedOtherId: string | null = null;
  private readonly hasWantedId = (slot: number): boolean =>
    this.wantedOtherId === null
      ? !this.otherIds.has(slot) && this.ids.compare(this.wantedId, 0, ID_BYTES, slot * ID_BYTES, (slot + 1) * ID_BYTES) === 0
      : this.otherIds.get(slot) === this.wantedOtherId;
  private readonly hasWantedHash = (slot: number): boolean =>
    this.keyIdNumbers[slot] === this.wantedKeyIdNumber && timingSafeEqual(this.wantedHash, this.hashes.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES));
  private used = 0;

  /** Stores `id`'s hash (replacing what `id` had) and answers its slot, findable by the hash. */
  add(id: string, stored: SecretHash): number {
    this.forget(this.slotOf(id));
    const slot = this.freeSlots.pop() ?? this.newSlot();
    writeHash(stored.hash, this.hashes, slot * HASH_BYTES);
    if (this.wantedOtherId === null) this.wantedId.copy(this.ids, slot * ID_BYTES);
    else this.otherIds.set(slot, id);
    let keyIdNumber = this.keyIds.indexOf(stored.keyId);
    if (keyIdNumber < 0) keyIdNumber = this.keyIds.push(stored.keyId) - 1;
    this.keyIdNumbers[slot] = keyIdNumber;
    this.flags[slot] = FINDABLE;
    this.byHash.insert(slot);
    this.byId.insert(slot);
    return slot;
  }

  /** The slot of a known id (findable or retired); -1 if unknown. */
  slotOf(id: string): number {
    this.wantedOtherId = writeUuid(id, this.wantedId, 0) ? null : id;
    return this.byId.search(this.wantedOtherId === null ? this.wantedId.readUInt32LE(0) : otherIdHome(id), this.hasWantedId);
  }

  /** `id` is no longer found by its hash, but stays known by id; answers its slot, or -1. */
  retire(id: string): number {
    const slot = this.slotOf(id);
    this.unlist(slot);
    return slot;
  }

  /** Forgets `id` altogether; answers the slot it had (free for reuse), or -1. */
  remove(id: string): number {
    const slot = this.slotOf(id);
    this.forget(slot);
    return slot;
  }

  private unlist(slot: number): void {
    if (slot < 0 || !(this.flags[slot] & FINDABLE)) return;
    this.byHash.remove(slot);
    this.flags[slot] &= ~FINDABLE;
  }

  private forget(slot: number): void {
    if (slot < 0) return;
    this.unlist(slot);
    this.byId.remove(slot);
    this.flags[slot] = 0;
    this.otherIds.delete(slot);
    this.freeSlots.push(slot);
  }

  /** The slot stored under whichever candidate hash (one per hash key) matches, or -1. */
  find(candidates: readonly SecretHash[]): number {
    for (const candidate of candidates) {
      this.wantedKeyIdNumber = this.keyIds.indexOf(candidate.keyId);
      if (this.wantedKeyIdNumber < 0) continue;
      writeHash(candidate.hash, this.wantedHash, 0);
      const slot = this.byHash.search(this.wantedHash.readUInt32LE(0), this.hasWantedHash);
      if (slot >= 0) return slot;
    }
    return -1;
  }

  idOf(slot: number): string {
    const other = this.otherIds.get(slot);
    if (other !== undefined) return other;
    const hex = this.ids.toString('hex', slot * ID_BYTES, (slot + 1) * ID_BYTES);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** How many are findable by their hash. */
  get size(): number {
    return this.byHash.size;
  }

  /** How many slots are in use or free for reuse: the length of every per-slot column. */
  get slotCount(): number {
    return this.used;
  }

  /** Its state, sharing its buffers (the caller writes them out before anything changes). */
  state(): SecretSlotsState {
    return {
      byHash: this.byHash.state(),
      findable: this.byHash.size,
      byId: this.byId.state(),
      known: this.byId.size,
      hashes: this.hashes.subarray(0, this.used * HASH_BYTES),
      ids: this.ids.subarray(0, this.used * ID_BYTES),
      keyIdNumbers: this.keyIdNumbers.subarray(0, this.used),
      flags: this.flags.subarray(0, this.used),
      keyIds: this.keyIds,
      otherIds: this.otherIds,
      freeSlots: this.freeSlots,
    };
  }

  /** Takes over a state `state()` gave, in place of its own. */
  restore(state: SecretSlotsState): void {
    this.used = state.flags.length;
    this.hashes = state.hashes;
    this.ids = state.ids;
    this.keyIdNumbers = state.keyIdNumbers;
    this.flags = state.flags;
    this.keyIds = [...state.keyIds];
    this.otherIds = new Map(state.otherIds);
    this.freeSlots = [...state.freeSlots];
    this.byHash.restore(state.byHash, state.findable);
    this.byId.restore(state.byId, state.known);
  }

  private newSlot(): number {
    const slot = this.used;
    this.used += 1;
    if (this.used > this.flags.length) {
      this.flags = withRoom(this.flags, this.used);
      const capacity = this.flags.length;
      this.keyIdNumbers = withRoom(this.keyIdNumbers, capacity);
      this.hashes = bufferOfLength(this.hashes, capacity * HASH_BYTES);
      this.ids = bufferOfLength(this.ids, capacity * ID_BYTES);
    }
    return slot;
  }
}

/** What a HashedSecretMap holds, for a snapshot: its slots and the value of each. */
export type HashedSecretMapState<T> = { readonly slots: SecretSlotsState; readonly values: readonly (T | undefined)[] };

/** Live secrets of one kind, found by the hash of a presented secret without I/O; a value per secret. */
export class HashedSecretMap<T> {
  private readonly slots = new SecretSlots();
  private values: (T | undefined)[] = [];

  set(id: string, stored: SecretHash, value: T): void {
    this.values[this.slots.add(id, stored)] = value;
  }

  delete(id: string): void {
    const slot = this.slots.remove(id);
    if (slot >= 0) this.values[slot] = undefined;
  }

  /** The value stored under whichever candidate hash (one per hash key) matches, if any. */
  find(candidates: readonly SecretHash[]): T | null {
    const slot = this.slots.find(candidates);
    return slot < 0 ? null : (this.values[slot] ?? null);
  }

  get size(): number {
    return this.slots.size;
  }

  state(): HashedSecretMapState<T> {
    return { slots: this.slots.state(), values: this.values };
  }

  /** Takes over a state `state()` gave; `revise` may update each value as it comes in. */
  restore(state: HashedSecretMapState<T>, revise: (value: T) => T = (value) => value): void {
    this.slots.restore(state.slots);
    this.values = state.values.map((value) => (value === undefined ? undefined : revise(value)));
  }
}
