import { ApplicationError } from './application-error';

/** What one outbound call came to, after its retries: never the body sent, which holds secrets. */
export type OutboundResult =
  | { readonly outcome: 'delivered'; readonly host: string; readonly attempts: number; readonly status: number; readonly body: string }
  /** Refused before any connection: the URL breaks the outbound policy. Not retried. */
  | { readonly outcome: 'refused'; readonly host: string; readonly attempts: 0; readonly reason: string }
  | { readonly outcome: 'failed'; readonly host: string; readonly attempts: number; readonly reason: string; readonly status: number | null };

export type OutboundRequest = {
  readonly url: string;
  readonly form: Readonly<Record<string, string>>;
  /** Plain http is allowed to this URL (an integration its admin saved as insecure). */
  readonly allowHttp: boolean;
  readonly headers?: Readonly<Record<string, string>>;
};

/** The one way Keyhold calls out: a form POST, under the outbound policy (the port; apps/api/src/outbound holds the adapter). */
export interface OutboundHttp {
  postForm(request: OutboundRequest): Promise<OutboundResult>;
}

/** Where outbound calls may go besides public https: plain http to loopback, where the operator allows it (tests, walkthroughs). */
export type OutboundPolicy = { readonly OUTBOUND_ALLOW_LOOPBACK: boolean };

/** A call refused by the outbound policy, or one the remote server did not answer as expected. */
export const outboundRefused = (message: string) => new ApplicationError({ kind: 'outbound-refused', message });
export const outboundFailed = (message: string) => new ApplicationError({ kind: 'outbound-failed', message });
