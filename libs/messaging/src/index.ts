export * from './message-bus.port';
export * from './in-process/in-process-message-bus';
