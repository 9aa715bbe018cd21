export * from './message-bus.port';
export * from './in-process/in-process-message-bus';
export * from './kafka/kafka-message-bus';
export * from './lifecycle/lifecycle-message';
