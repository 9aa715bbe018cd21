/**
 * A minimal cookie-keeping HTTP client for Keyhold's server-rendered pages, for tests that need
 * a person's path (accept an invitation, sign in, issue a token) without a real browser: it
 * reads each page's CSRF field the way a browser would submit it. Redirects are not followed,
 * so tests can check them.
 */
export type PageResult = { status: number; headers: Headers; text: string; location: string | null };

export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  async get(path: string): Promise<PageResult> {
    return this.send('GET', path);
  }

  /** Submits a form with the CSRF token the page at `pagePath` carries (unless `csrf` is given). */
  async submit(pagePath: string, action: string, fields: Record<string, string>, options: { csrf?: string; headers?: Record<string, string> } = {}): Promise<PageResult> {
    const csrf = options.csrf ?? csrfOf((await this.get(pagePath)).text);
    return this.send('POST', action, new URLSearchParams({ ...fields, csrf }).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...options.headers });
  }

  async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<PageResult> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { method, body, redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...headers } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      if (value === '' || /Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, text: await response.text(), location: response.headers.get('location') };
  }
}

export const csrfOf = (page: string): string => {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('The page has no CSRF field');
  return match[1];
};

/**
 * The whole path of an invited person: open the invitation link, set a password, land on the
 * account page signed in, and issue a personal token there. Answers that token.
 */
export const acceptInvitationAndIssueToken = async (
  invitationUrl: string,
  password = 'correct horse battery staple',
  token: { label: string; scope: 'read' | 'read_write' } = { label: 'first', scope: 'read_write' },
): Promise<{ browser: FormBrowser; token: string }> => {
  const url = new URL(invitationUrl);
  const browser = new FormBrowser(url.origin);
  const accepted = await browser.submit(url.pathname, url.pathname, { password, password_confirmation: password });
  if (accepted.status !== 303) throw new Error(`Accepting the invitation answered ${accepted.status}: ${accepted.text.slice(0, 300)}`);
  const issued = await browser.submit('/account', '/account/tokens', token);
  const secret = /<code id="token-secret">([^<]+)<\/code>/.exec(issued.text)?.[1];
  if (issued.status !== 201 || !secret) throw new Error(`Issuing a token answered ${issued.status}`);
  return { browser, token: secret };
};
