import { createHash } from 'node:crypto';
import { closeSync, constants, fsync, openSync, writevSync } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import { MAC_BYTES, SecretHasher } from '@keyhold/crypto';
import { GlobalPosition } from '@keyhold/event-store';

/**
 * A snapshot of the credential index: every kind's state and the log position it reflects, so
 * that a node starting on a large log applies only the events after it instead of the whole log.
 * It holds what the indexes hold: keyed hashes, ids, owners, roles and instants (and, for
 * integrations, signing secrets sealed under their tenant's data key, as the log has them), never
 * a secret. The log stays the source of truth: a snapshot that is missing, unreadable, tampered
 * with, made under a key this node does not hold, of another layout, or not of this log is
 * refused, and the node loads the log in full.
 *
 * The file: a magic with the format's version, the hash key id, the structure (V8's
 * serialization of plain data and Maps, `node:v8`) in which every typed array is a reference to
 * a column stored after it as raw bytes, 8-byte aligned so that it is read back without a copy,
 * then a MAC: HMAC-SHA-256 (under a key derived from the hash key for this purpose only,
 * `SecretHasher.mac`) of the SHA-256 of everything before it. The MAC is checked before anything
 * is deserialized.
 */
const MAGIC = Buffer.from('KHCIDX\u0000\u0001', 'latin1');
const MAC_PURPOSE = 'credential-index-snapshot';
const ALIGNMENT = 8;
/** Columns this large are read back as views of the file's bytes, smaller ones are copied (see `_readHostObject`). */
const VIEW_AT_LEAST_BYTES = 1 << 20;
export const SNAPSHOT_FILE = 'credential-index.snapshot';
/** A snapshot being written: `<file>.<pid>.partial`, renamed over the file once it is whole and on disk. */
const PARTIAL = /^credential-index\.snapshot\.(\d+)\.partial$/;

/**
 * What the indexes' states look like. Change it whenever a kind's `state()` changes shape: a
 * snapshot of another layout is refused rather than misread. Columns are in the machine's byte
 * order, which is part of the layout.
 */
export const SNAPSHOT_LAYOUT = `credential-index/2/${endianness()}`;

/** The content of a snapshot: the indexes' states after applying the log up to `position`. */
export type CredentialIndexSnapshot = {
  readonly layout: string;
  /** The last event applied, and the one before it: a start checks that the log holds that event there. */
  readonly position: GlobalPosition;
  readonly previousPosition: GlobalPosition | null;
  readonly eventId: string;
  readonly states: ReadonlyMap<string, unknown>;
};

/** Typed arrays kept as columns, by number; 0 is a Buffer (a Uint8Array that reads back as a Buffer). */
const TYPED_ARRAYS = [Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array] as const;
const BUFFER_TYPE = 0;
type Column = Buffer | InstanceType<(typeof TYPED_ARRAYS)[number]>;

const columnType = (view: NodeJS.ArrayBufferView): number => {
  if (Buffer.isBuffer(view)) return BUFFER_TYPE;
  const type = TYPED_ARRAYS.findIndex((constructor) => view.constructor === constructor);
  if (type < 0) throw new Error(`A credential index snapshot cannot hold a ${view.constructor.name}.`);
  return type + 1;
};

const padding = (length: number): number => (ALIGNMENT - (length % ALIGNMENT)) % ALIGNMENT;

/** Node's serializer (it hands typed arrays to `_writeHostObject`), with typed arrays moved out of the structure into columns. */
class ColumnSerializer extends DefaultSerializer {
  readonly columns: Buffer[] = [];

  _writeHostObject(view: NodeJS.ArrayBufferView): void {
    this.writeUint32(columnType(view));
    this.writeUint32(view.byteLength);
    this.columns.push(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
  }
}

/** Reads the columns back in the order they were written, as views of the file's own bytes. */
class ColumnDeserializer extends DefaultDeserializer {
  constructor(
    structure: Buffer,
    private readonly file: Buffer,
    private offset: number,
  ) {
    super(structure);
  }

  _readHostObject(): Column {
    const typeNumber = this.readUint32();
    const byteLength = this.readUint32();
    const type = TYPED_ARRAYS[typeNumber - 1];
    if ((typeNumber !== BUFFER_TYPE && !type) || this.offset + byteLength > this.file.length) throw new Error('A credential index snapshot column is out of bounds.');
    const start = this.file.byteOffset + this.offset;
    this.offset += byteLength + padding(byteLength);
    // A file read into memory is never in a SharedArrayBuffer.
    const file = this.file.buffer as ArrayBuffer;
    // A small column gets memory of its own: a view would keep the whole file alive for as long as that column never grows.
    const copied = byteLength < VIEW_AT_LEAST_BYTES || (type !== undefined && start % type.BYTES_PER_ELEMENT !== 0);
    const bytes = copied ? file.slice(start, start + byteLength) : file;
    const at = copied ? 0 : start;
    return typeNumber === BUFFER_TYPE ? Buffer.from(bytes, at, byteLength) : new type(bytes, at, byteLength / type.BYTES_PER_ELEMENT);
  }
}

/** The parts of a snapshot file, MAC last: written one after another, never copied into one buffer. */
export const encodeSnapshot = (snapshot: CredentialIndexSnapshot, hasher: SecretHasher): Buffer[] => {
  const serializer = new ColumnSerializer();
  serializer.writeHeader();
  serializer.writeValue(snapshot);
  const structure = serializer.releaseBuffer();
  const keyId = Buffer.from(hasher.currentKeyId, 'utf8');
  const head = Buffer.alloc(MAGIC.length + 1 + keyId.length + 4);
  MAGIC.copy(head, 0);
  head[MAGIC.length] = keyId.length;
  keyId.copy(head, MAGIC.length + 1);
  head.writeUInt32LE(structure.length, MAGIC.length + 1 + keyId.length);
  const parts: Buffer[] = [head, structure];
  let length = head.length + structure.length;
  for (const column of [null, ...serializer.columns]) {
    const pad = padding(length);
    if (pad > 0) parts.push(Buffer.alloc(pad));
    length += pad;
    if (column) {
      parts.push(column);
      length += column.length;
    }
  }
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  parts.push(hasher.mac(MAC_PURPOSE, digest.digest()).tag);
  return parts;
};

/** Why a snapshot was not used; the node then loads the whole log. */
export type SnapshotRefusal = 'malformed' | 'mac' | 'layout';

/** The snapshot in `file`, if its MAC verifies under a key `hasher` holds and its layout is this code's. */
export const decodeSnapshot = (file: Buffer, hasher: SecretHasher): CredentialIndexSnapshot | SnapshotRefusal => {
  if (file.length < MAGIC.length + 1 + 4 + MAC_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return 'malformed';
  const keyIdLength = file[MAGIC.length];
  const structureAt = MAGIC.length + 1 + keyIdLength + 4;
  const macAt = file.length - MAC_BYTES;
  if (structureAt > macAt) return 'malformed';
  const keyId = file.toString('utf8', MAGIC.length + 1, MAGIC.length + 1 + keyIdLength);
  const digest = createHash('sha256').update(file.subarray(0, macAt)).digest();
  if (!hasher.macMatches(MAC_PURPOSE, keyId, digest, file.subarray(macAt))) return 'mac';
  const structureLength = file.readUInt32LE(structureAt - 4);
  if (structureAt + structureLength > macAt) return 'malformed';
  const columnsAt = structureAt + structureLength + padding(structureAt + structureLength);
  const body = file.subarray(0, macAt);
  const deserializer = new ColumnDeserializer(body.subarray(structureAt, structureAt + structureLength), body, columnsAt);
  deserializer.readHeader();
  const snapshot = deserializer.readValue() as CredentialIndexSnapshot;
  return snapshot.layout === SNAPSHOT_LAYOUT ? snapshot : 'layout';
};

/**
 * The snapshot file in a data directory: written whole or not at all (a partial file, fsynced,
 * renamed over the last one, the directory fsynced), readable by its owner only (0600).
 */
export class SnapshotFile {
  constructor(private readonly directory: string) {}

  get path(): string {
    return join(this.directory, SNAPSHOT_FILE);
  }

  /** The file's bytes, or null when there is none. Partial files left by a process that died while writing are removed. */
  async read(): Promise<Buffer | null> {
    await this.removeAbandonedPartials();
    try {
      return await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Writes `parts` to a partial file before returning to the event loop (they may share buffers
   * that change right after), then fsyncs it, renames it over the snapshot and fsyncs the directory.
   */
  async write(parts: readonly Buffer[]): Promise<void> {
    const partial = join(this.directory, `${SNAPSHOT_FILE}.${process.pid}.partial`);
    const fd = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      // writev takes at most IOV_MAX buffers a call, and may write less than asked: loop.
      let pending = parts.filter((part) => part.length > 0);
      while (pending.length > 0) pending = afterWritten(pending, writevSync(fd, pending.slice(0, 512)));
      await fsyncOf(fd);
    } catch (error) {
      closeSync(fd);
      await rm(partial, { force: true });
      throw error;
    }
    closeSync(fd);
    await rename(partial, this.path);
    const directory = await open(this.directory, constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  /** Removes `credential-index.snapshot.<pid>.partial` files whose process is gone; another live node's stays. */
  private async removeAbandonedPartials(): Promise<void> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    for (const name of names) {
      const pid = PARTIAL.exec(name)?.[1];
      if (pid !== undefined && (Number(pid) === process.pid || !processAlive(Number(pid)))) await rm(join(this.directory, name), { force: true });
    }
  }
}

const fsyncOf = promisify(fsync);

const afterWritten = (parts: readonly Buffer[], written: number): Buffer[] => {
  const rest: Buffer[] = [];
  let skip = written;
  for (const part of parts) {
    if (skip >= part.length) skip -= part.length;
    else {
      rest.push(skip > 0 ? part.subarray(skip) : part);
      skip = 0;
    }
  }
  return rest;
};

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};
