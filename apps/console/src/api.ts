/** The console's only way to the server: the public REST API, with the session's bearer token. */

export type FieldProblem = { field: string; messages: string[] };
export type Problem = { status: number; title: string; detail?: string; type?: string; errors?: FieldProblem[] };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }

  /** The messages the API gave for one field (`credential.token` matches `token` too). */
  forField(name: string): string | undefined {
    const found = (this.problem.errors ?? []).filter((error) => error.field === name || error.field.endsWith(`.${name}`));
    return found.length ? found.flatMap((error) => error.messages).join('; ') : undefined;
  }
}

export type Me = {
  tenantId: string;
  actor: { kind: string; id: string };
  credential: unknown;
  scope: string | null;
  permissions: string[];
};

export type Page<T> = { items: T[]; nextCursor: string | null };

const problemOf = async (response: Response): Promise<Problem> => {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (typeof body.error === 'string') return { status: response.status, title: body.error, detail: body.error_description };
    return { status: response.status, title: body.title ?? response.statusText, detail: body.detail, type: body.type, errors: body.errors };
  } catch {
    return { status: response.status, title: response.statusText || 'Request failed' };
  }
};

export type Request = { method?: string; body?: unknown; headers?: Record<string, string> };

/** Calls the API as the bearer of `token`; a refusal comes back as an ApiError carrying the problem. */
export const apiCall = async <T>(token: string, path: string, request: Request = {}): Promise<T> => {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json, application/problem+json', ...request.headers };
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: request.method ?? 'GET',
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError({ status: 0, title: 'The server cannot be reached.' });
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  // null, not undefined: useAction reads undefined as "refused".
  if (response.status === 204) return null as T;
  const type = response.headers.get('content-type') ?? '';
  // JSON documents are parsed; anything else (the NDJSON export) comes back as text.
  return (/^application\/([\w.-]+\+)?json\b/.test(type) ? response.json() : response.text()) as Promise<T>;
};
