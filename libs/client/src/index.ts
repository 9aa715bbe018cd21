export * from './keyhold-client';
export * from './credential-verifier';
export type { paths, components } from './openapi';
