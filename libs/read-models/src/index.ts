export * from './read-model-store.port';
export * from './sqlite/sqlite-read-model-store';
