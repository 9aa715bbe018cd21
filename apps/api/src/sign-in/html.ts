import { randomBytes } from 'node:crypto';
import { FastifyReply } from 'fastify';

/** Escapes text for HTML element content and double-quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** Marks a fragment as already-safe HTML, so that `html` does not escape it again. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

type Interpolated = string | number | SafeHtml | readonly SafeHtml[] | null | undefined | false;

/** A template tag that escapes every interpolated value unless it is SafeHtml. */
export const html = (strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml =>
  new SafeHtml(
    strings.reduce((out, part, index) => {
      const value = values[index - 1];
      const rendered =
        value === null || value === undefined || value === false
          ? ''
          : Array.isArray(value)
            ? value.map(String).join('')
            : value instanceof SafeHtml
              ? value.value
              : escapeHtml(String(value));
      return out + rendered + part;
    }),
  );

/**
 * One small stylesheet, inline under the response's CSP nonce: the pages load nothing from
 * anywhere (no fonts, scripts or images), so the policy can forbid everything else.
 */
const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin-top:1rem;font-weight:600}
input,select{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;border:1px solid #6b7280;border-radius:4px;font:inherit}
button{margin-top:1.5rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#1d4ed8;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#4b5563}.error{color:#991b1b;background:#fee2e2;padding:.5rem;border-radius:4px}
code{word-break:break-all;background:#eef;padding:.2rem}ul{padding-left:1.2rem}:focus-visible{outline:3px solid #f59e0b}
`;

export type PageOptions = {
  status?: number;
  title: string;
  body: SafeHtml;
  /** Origins a form on this page may submit to besides this one (a consent page redirects to a client). */
  formTargets?: readonly string[];
};

/**
 * Sends a server-rendered page with a strict Content-Security-Policy: nothing but the inline
 * style under a fresh nonce, forms posting only to Keyhold, no framing, no referrer to other sites (links may
 * carry one-time codes), never cached.
 */
export const sendPage = (reply: FastifyReply, { status = 200, title, body, formTargets = [] }: PageOptions): FastifyReply => {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `form-action 'self'${formTargets.map((origin) => ` ${origin}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const document = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Keyhold</title><style nonce="${nonce}">${new SafeHtml(STYLE)}</style></head>
<body><main>${body}</main></body></html>`;
  return reply
    .status(status)
    .header('Content-Security-Policy', csp)
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'same-origin')
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Frame-Options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(document.value);
};

export const errorPage = (reply: FastifyReply, status: number, title: string, detail: string): FastifyReply =>
  sendPage(reply, { status, title, body: html`<h1>${title}</h1><p role="alert" class="error">${detail}</p><p><a href="/signin">Go to sign-in</a></p>` });

/** Paths served as pages to a browser: their failures are shown as HTML, not problem+json. */
export const PAGE_PATHS = ['/signin', '/signout', '/invitations', '/account', '/oauth/authorize'] as const;
export const isPagePath = (url: string): boolean => PAGE_PATHS.some((path) => url.startsWith(path) && /^($|[/?])/.test(url.slice(path.length)));
