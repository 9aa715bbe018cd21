import { ANY, AppendExpectedRevision, CurrentRevision, NO_STREAM, Position, STREAM_EXISTS } from '@eventstore/db-client';
import { ExpectedRevision, GlobalPosition } from '../event-store.port';

/** Commit and prepare positions are unsigned 64-bit integers: 20 decimal digits hold any of them. */
const POSITION_DIGITS = 20;
const U64_LIMIT = 2n ** 64n;
const ENCODED_POSITION = /^(\d{20})\/(\d{20})$/;

/**
 * What the server sends for an event whose $all position it does not know (its Position.End,
 * both halves 2^64 - 1): stream reads on servers before 22.6, or events of an explicit
 * transaction (KurrentDB Streams.Read.cs, ConvertToRecordedEvent; client types/events.d.ts).
 */
const UNKNOWN_POSITION = U64_LIMIT - 1n;

const checkedU64 = (value: bigint): bigint => {
  if (value < 0n || value >= U64_LIMIT) throw new RangeError(`${value} is not an EventStoreDB log position.`);
  return value;
};

/**
 * $all is ordered by commit position, then prepare position (TFPos in the server), and the two
 * can differ: events of one explicit transaction share the commit position of its commit record.
 * Zero-padding both halves to the same width makes plain string order equal to that order, well
 * beyond 2^53 where a JavaScript number would lose it.
 */
export const encodePosition = ({ commit, prepare }: Position): GlobalPosition =>
  `${checkedU64(commit).toString().padStart(POSITION_DIGITS, '0')}/${checkedU64(prepare).toString().padStart(POSITION_DIGITS, '0')}`;

export const decodePosition = (position: GlobalPosition): Position => {
  const match = ENCODED_POSITION.exec(position);
  if (!match) {
    throw new RangeError(`'${position}' is not an EventStoreDB position; was the checkpoint written by another adapter?`);
  }
  return { commit: checkedU64(BigInt(match[1])), prepare: checkedU64(BigInt(match[2])) };
};

export const knownPosition = (position: Position | undefined): Position | undefined =>
  position === undefined || position.commit === UNKNOWN_POSITION ? undefined : position;

export const toAppendExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'any':
      return ANY;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      // The client would send BigInt(-1) as a uint64 text the server cannot parse; refuse it here.
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`Expected revision ${expected} is not a stream revision.`);
      }
      return BigInt(expected);
  }
};

/** Stream revisions stay far below 2^53 in practice; a larger one is refused, not rounded. */
export const toRevision = (revision: bigint): number => {
  const value = Number(revision);
  if (!Number.isSafeInteger(value)) throw new RangeError(`Stream revision ${revision} does not fit a number.`);
  return value;
};

/**
 * The client reports the current revision of a conflicting append as a bigint, or NO_STREAM
 * when the stream does not exist (utils/CommandError.js). A negative bigint can only mean the
 * same thing (-1 is "no stream" in the server's own numbering), so it is read as such.
 */
export const toActualRevision = (current: CurrentRevision): number | 'no_stream' =>
  current === NO_STREAM || current < 0n ? 'no_stream' : toRevision(current);

/** Links, stream metadata, stats and projection state are the server's own: `$` types or `$` streams. */
export const isUserEvent = (streamName: string, type: string): boolean =>
  !streamName.startsWith('$') && !type.startsWith('$');
