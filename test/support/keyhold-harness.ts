import { CommandBus } from '@nestjs/cqrs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startKeyhold } from '../../apps/keyhold/src/keyhold';
import { CreateTenantCommand } from '../../apps/api/src/users/tenancy.commands';
import { OPERATOR } from '@keyhold/domain';
import { EVENT_STORE, EventStore, RecordedEvent } from '@keyhold/event-store';
import { loadConfig } from '@keyhold/platform';
import { acceptInvitationAndIssueToken } from './form-browser';

export type HttpResult = { status: number; headers: Headers; body: any; text: string };

/** A running Keyhold on a free port over its own data directory, with its logs captured. */
export class KeyholdHarness {
  private constructor(
    readonly url: string,
    readonly dataDir: string,
    readonly logs: string[],
    private readonly process: Awaited<ReturnType<typeof startKeyhold>>,
  ) {}

  static async start(dataDir = mkdtempSync(join(tmpdir(), 'keyhold-e2e-')), env: Record<string, string> = {}): Promise<KeyholdHarness> {
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env });
    const process = await startKeyhold(config, pino({ level: 'debug' }, sink));
    return new KeyholdHarness(process.url!, dataDir, logs, process);
  }

  get app() {
    return this.process.app;
  }

  async stop(): Promise<void> {
    await this.process.app.close();
  }

  /** Every event of the log, as the service reads it (upcast), page by page. */
  async events(): Promise<RecordedEvent[]> {
    const store = this.app.get<symbol, EventStore>(EVENT_STORE);
    const all: RecordedEvent[] = [];
    for (let after: string | null = null; ; ) {
      const page = await store.readAll(after, 1000);
      if (page.length === 0) return all;
      all.push(...page);
      after = page[page.length - 1].globalPosition;
    }
  }

  /** Creates a tenant with its first admin, the way the bootstrap CLI does. */
  async bootstrap(slug: string, adminEmail = `admin@${slug}.test`) {
    const created = await this.app
      .get(CommandBus)
      .execute(new CreateTenantCommand({ slug, name: slug, adminEmail, context: { actorId: 'system:test', correlationId: 'test', causationId: 'test', caller: OPERATOR } }));
    return { tenantId: created.tenantId, userId: created.userId, token: created.initialToken.secret! };
  }

  async request(method: string, path: string, options: { token?: string; json?: unknown; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  /**
   * Adds a user as an admin does (POST /v1/users answers an invitation link) and takes the
   * invited person's path to a personal token: accept the invitation, then issue it signed in.
   */
  async addUser(adminToken: string, email: string, role: string, password?: string) {
    const added = await this.post('/v1/users', adminToken, { email, role });
    if (added.status !== 201) return { added, token: null as unknown as string };
    const { token } = await acceptInvitationAndIssueToken(added.body.invitation.url, password);
    return { added, token };
  }

  get = (path: string, token?: string) => this.request('GET', path, { token });
  post = (path: string, token: string | undefined, json?: unknown) => this.request('POST', path, { token, json });
}

/** Asserts an RFC 9457 problem response of the given status and type suffix. */
export const expectProblem = (result: HttpResult, status: number, type: string) => {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(result.body).toMatchObject({ status, type: `https://keyhold.dev/problems/${type}` });
  expect(typeof result.body.title).toBe('string');
  expect(typeof result.body.detail).toBe('string');
};
