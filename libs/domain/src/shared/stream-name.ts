/**
 * Stream names are `category-id`: EventStoreDB derives `$ce-category` projections from the text
 * before the first dash, so a category must never contain one.
 */
export const STREAM_CATEGORIES = ['tenant', 'personalTokens', 'serviceAccount', 'apiClient', 'accessToken', 'accessTokenIssuance', 'connection', 'integrations', 'tenantSettings', 'userPassword', 'kafkaCommand', 'invitation', 'session', 'userGrant', 'signingKeys'] as const;
export type StreamCategory = (typeof STREAM_CATEGORIES)[number];

export const streamName = (category: StreamCategory, id: string): string => `${category}-${id}`;

export const categoryOf = (stream: string): string => {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
};
