export * from './shared/decider';
export * from './shared/event-metadata';
export * from './shared/permissions';
export * from './shared/rejection';
export * from './shared/stream-name';
export * from './tenancy/tenancy';
export * from './tenancy/tenant-id';
export * from './personal-tokens/personal-tokens';
