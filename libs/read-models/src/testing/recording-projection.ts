import { GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { Projection } from '../projection/projection-runner';

/** Records every position it applies, so that a test can tell an event applied twice or skipped; throws on those `failOn` picks. */
export const recording = (name: string, failOn: (event: RecordedEvent) => boolean = () => false) => {
  const applied: GlobalPosition[] = [];
  const projection: Projection = {
    name,
    apply: (event) => {
      if (failOn(event)) throw new Error(`${name} cannot apply this event`);
      applied.push(event.globalPosition);
    },
  };
  return { projection, applied };
};
