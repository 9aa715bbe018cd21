import { ANY, NO_STREAM, Position, STREAM_EXISTS } from '@eventstore/db-client';
import {
  decodePosition,
  encodePosition,
  isUserEvent,
  knownPosition,
  toActualRevision,
  toAppendExpectedRevision,
} from './eventstoredb-mapping';

const MAX_U64 = 2n ** 64n - 1n;
const ABOVE_2_53 = 2n ** 53n;

const byLogOrder = (a: Position, b: Position): number =>
  a.commit !== b.commit ? (a.commit < b.commit ? -1 : 1) : a.prepare < b.prepare ? -1 : a.prepare > b.prepare ? 1 : 0;

describe('EventStoreDB position encoding', () => {
  it('sorts encoded positions as the log orders commit, then prepare, also above 2^53', () => {
    const positions: Position[] = [
      { commit: MAX_U64, prepare: MAX_U64 },
      { commit: ABOVE_2_53 + 1n, prepare: ABOVE_2_53 + 1n },
      { commit: ABOVE_2_53, prepare: ABOVE_2_53 + 2n },
      { commit: ABOVE_2_53, prepare: ABOVE_2_53 + 1n },
      { commit: 10n, prepare: 10n },
      { commit: 9n, prepare: 9n },
      { commit: 1_000n, prepare: 900n },
      { commit: 1_000n, prepare: 899n },
      { commit: 0n, prepare: 0n },
    ];
    const inLogOrder = [...positions].sort(byLogOrder).map(encodePosition);
    const inStringOrder = positions.map(encodePosition).sort();
    expect(inStringOrder).toEqual(inLogOrder);
  });

  it('keeps adjacent values above 2^53 apart, where numbers would merge them', () => {
    const lower = encodePosition({ commit: ABOVE_2_53, prepare: ABOVE_2_53 });
    const higher = encodePosition({ commit: ABOVE_2_53 + 1n, prepare: ABOVE_2_53 + 1n });
    expect(Number(ABOVE_2_53)).toBe(Number(ABOVE_2_53 + 1n));
    expect(lower < higher).toBe(true);
  });

  it('writes both halves as 20 digits', () => {
    expect(encodePosition({ commit: 1_234n, prepare: 1_200n })).toBe('00000000000000001234/00000000000000001200');
    expect(encodePosition({ commit: MAX_U64, prepare: 0n })).toBe('18446744073709551615/00000000000000000000');
  });

  it('decodes what it encodes, exactly', () => {
    for (const position of [
      { commit: 0n, prepare: 0n },
      { commit: ABOVE_2_53 + 7n, prepare: ABOVE_2_53 + 3n },
      { commit: MAX_U64, prepare: MAX_U64 },
    ]) {
      expect(decodePosition(encodePosition(position))).toEqual(position);
    }
  });

  it('refuses values outside unsigned 64 bits', () => {
    expect(() => encodePosition({ commit: -1n, prepare: 0n })).toThrow(RangeError);
    expect(() => encodePosition({ commit: MAX_U64 + 1n, prepare: 0n })).toThrow(RangeError);
    expect(() => decodePosition('99999999999999999999/00000000000000000000')).toThrow(RangeError);
  });

  it('refuses a position in another format, such as a SQLite checkpoint', () => {
    expect(() => decodePosition('00000000000000000042')).toThrow(RangeError);
    expect(() => decodePosition('42/42')).toThrow(RangeError);
  });

  it('treats a missing position and the server sentinel 2^64 - 1 as unknown', () => {
    expect(knownPosition(undefined)).toBeUndefined();
    expect(knownPosition({ commit: MAX_U64, prepare: MAX_U64 })).toBeUndefined();
    expect(knownPosition({ commit: 5n, prepare: 5n })).toEqual({ commit: 5n, prepare: 5n });
  });
});

describe('EventStoreDB expected revision mapping', () => {
  it('maps each named state to the client constant', () => {
    expect(toAppendExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toAppendExpectedRevision('any')).toBe(ANY);
    expect(toAppendExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
  });

  it('maps a revision to a bigint', () => {
    expect(toAppendExpectedRevision(0)).toBe(0n);
    expect(toAppendExpectedRevision(41)).toBe(41n);
  });

  it('refuses a revision that is not a non-negative integer', () => {
    expect(() => toAppendExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toAppendExpectedRevision(1.5)).toThrow(RangeError);
  });

  it('reads the actual revision of a conflict as a number or no_stream', () => {
    expect(toActualRevision(3n)).toBe(3);
    expect(toActualRevision(NO_STREAM)).toBe('no_stream');
    expect(toActualRevision(-1n)).toBe('no_stream');
  });
});

describe('EventStoreDB system events', () => {
  it('tells user events from the server own', () => {
    expect(isUserEvent('personalTokens-1', 'TokenIssued')).toBe(true);
    expect(isUserEvent('$ce-personalTokens', '$>')).toBe(false);
    expect(isUserEvent('$$personalTokens-1', '$metadata')).toBe(false);
    expect(isUserEvent('$stats-127.0.0.1:2113', 'StatsCollected')).toBe(false);
  });
});
