export * from './application-error';
export * from './command-pipeline';
export * from './read-state';
export * from './outbound';
export * from './personal-tokens/token-details';
export * from './personal-tokens/issue-token';
export * from './personal-tokens/revoke-token';
export * from './personal-tokens/token-queries';
