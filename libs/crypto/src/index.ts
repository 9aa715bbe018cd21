export * from './secret-token';
export * from './secret-hasher';
export * from './password-hasher';
export * from './sealed-secret';
export * from './process-local-digest';
