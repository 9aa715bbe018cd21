export * from './secret-token';
export * from './secret-hasher';
