export * from './key-store.port';
export * from './master-key-ring';
export * from './field-encryption';
export * from './data-key.service';
export * from './sqlite/sqlite-key-store';
export * from './mongo/mongo-key-store';
