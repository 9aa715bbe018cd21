import { ExpectedRevision, WrongExpectedRevisionError } from './event-store.port';

/** Refuses an append whose expectation does not hold for a stream at `current` (null: no stream). */
export const assertExpectedRevision = (streamName: string, expected: ExpectedRevision, current: number | null): void => {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === null) ||
    (expected === 'stream_exists' && current !== null) ||
    (typeof expected === 'number' && current === expected);
  if (!ok) throw new WrongExpectedRevisionError(streamName, expected, current ?? 'no_stream');
};
