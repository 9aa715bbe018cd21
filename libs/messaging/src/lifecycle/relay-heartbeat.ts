import { BusMessage } from '../message-bus.port';

/**
 * The lifecycle relay's heartbeat, on its own topic so that consumers of `keyhold.lifecycle.v1`
 * never see it: proof that the relay is alive and publishing, and how far into the log it has
 * published. A node that hears neither a heartbeat nor a lifecycle message for a while cannot
 * know what it missed, and stops trusting its cache (see docs/lifecycle-topic.md).
 */
export const HEARTBEAT_TOPIC = 'keyhold.heartbeat.v1';
export const HEARTBEAT_SCHEMA = 'keyhold.heartbeat/1';

export type RelayHeartbeat = {
  schema: typeof HEARTBEAT_SCHEMA;
  /** The log position of the last lifecycle event the relay published; null before the first. */
  position: string | null;
  sentAt: string;
};

/** One key for every heartbeat: they land on one partition, in order. */
const HEARTBEAT_KEY = 'lifecycle-relay';

export const relayHeartbeatMessage = (position: string | null, sentAt: string): BusMessage => {
  const heartbeat: RelayHeartbeat = { schema: HEARTBEAT_SCHEMA, position, sentAt };
  return { key: HEARTBEAT_KEY, value: JSON.stringify(heartbeat), headers: { 'keyhold-schema': HEARTBEAT_SCHEMA } };
};
