import { withRoom } from './hashed-secret-map';

/**
 * What `toISOString` writes, for days that every month has: such an instant comes back from its
 * milliseconds unchanged, so checking that needs no round trip (the column's costliest step).
 */
const SURELY_CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * An ISO-8601 instant (or null) per slot, kept as 8 bytes of epoch milliseconds instead of a
 * string per slot. An instant that `toISOString` would not write back the same way (another
 * precision or offset) is kept as written, so every reader gets back exactly what the event said.
 */
/** What an InstantColumn holds for its first slots, for a snapshot of the credential index. */
export type InstantColumnState = { readonly millis: Float64Array; readonly verbatim: ReadonlyMap<number, string> };

export class InstantColumn {
  private millis: Float64Array = new Float64Array(0);
  private verbatim = new Map<number, string>();

  set(slot: number, instant: string | null): void {
    this.millis = withRoom(this.millis, slot + 1);
    this.verbatim.delete(slot);
    const ms = instant === null ? NaN : Date.parse(instant);
    this.millis[slot] = ms;
    if (instant !== null && !SURELY_CANONICAL.test(instant) && (Number.isNaN(ms) || new Date(ms).toISOString() !== instant)) this.verbatim.set(slot, instant);
  }

  get(slot: number): string | null {
    const ms = this.millis[slot];
    if (!Number.isNaN(ms)) return this.verbatim.size === 0 ? new Date(ms).toISOString() : (this.verbatim.get(slot) ?? new Date(ms).toISOString());
    return this.verbatim.get(slot) ?? null;
  }

  /** The instants of slots 0 to `slots` - 1 (every one of them set), sharing its buffer: the caller writes it out before anything changes. */
  state(slots: number): InstantColumnState {
    return { millis: this.millis.subarray(0, slots), verbatim: this.verbatim };
  }

  restore(state: InstantColumnState): void {
    this.millis = state.millis;
    this.verbatim = new Map(state.verbatim);
  }
}
