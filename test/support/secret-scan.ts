import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every byte under a directory, so a secret cannot hide in a WAL file, a journal or an index page. */
export const everythingStoredUnder = (directory: string): Buffer =>
  Buffer.concat(
    readdirSync(directory, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
  );

/** The forms a secret could be stored in by mistake: as is, base64, base64url, hex, URL-encoded. */
export const encodingsOf = (secret: string): string[] => {
  const bytes = Buffer.from(secret, 'utf8');
  return [...new Set([secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), encodeURIComponent(secret)])];
};

/** Names the secrets (by label) found in the haystack, in any of their encodings. */
export const secretsFoundIn = (haystack: Buffer | string, secrets: Record<string, string>): string[] => {
  const text = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack, 'utf8');
  return Object.entries(secrets)
    .filter(([, secret]) => encodingsOf(secret).some((form) => text.includes(form)))
    .map(([label]) => label);
};
