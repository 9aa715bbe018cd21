export * from './event-store.port';
export * from './handle-command';
export * from './folded-streams';
export * from './sqlite/sqlite-event-store';
export * from './eventstoredb/eventstoredb-event-store';
export * from './chain/event-chain';
export * from './chain/verify-event-log';
export * from './thread-entry';
