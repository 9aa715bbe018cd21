export * from './read-model-store.port';
export * from './sqlite/sqlite-read-model-store';
export * from './projection/projection-runner';
export * from './views/tokens.view';
export * from './views/users.view';
export * from './mongo/mongo-read-model-store';
export * from './views/service-accounts.view';
