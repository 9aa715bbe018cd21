import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PERMISSIONS } from '@keyhold/domain';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { UsageRecorder } from '../../apps/api/src/verification/usage-recorder';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';

const TOKEN_FORMAT = /^kh_pat_[0-9A-Za-z]{49}$/;

/** The same lifecycle on every read-model adapter: what the API promises must not depend on it. */
const describeTokenLifecycle = (env: () => Record<string, string>) => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, env());
    admin = await keyhold.bootstrap('acme');
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const issue = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    keyhold.request('POST', '/v1/tokens', { token, json: body, headers });

  describe('issuing', () => {
    it('returns the secret once, with its id, and never again', async () => {
      const issued = await issue(admin.token, { label: 'Power BI laptop', scope: 'read' });
      expect(issued.status).toBe(201);
      expect(issued.body.token).toMatch(TOKEN_FORMAT);
      expect(issued.headers.get('cache-control')).toBe('no-store');
      expect(issued.headers.get('location')).toBe(`/v1/tokens/${issued.body.id}`);
      expect(issued.body).toMatchObject({ label: 'Power BI laptop', scope: 'read', status: 'active', ownerId: admin.userId });
      expect(issued.body.hint).toBe(`kh_pat_…${issued.body.token.slice(-4)}`);

      const fetched = await keyhold.get(`/v1/tokens/${issued.body.id}`, admin.token);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toMatchObject({ id: issued.body.id, label: 'Power BI laptop', hint: issued.body.hint });
      expect(fetched.text).not.toContain(issued.body.token);
      expect(fetched.body.token).toBeUndefined();
      const listed = await keyhold.get('/v1/tokens?limit=200', admin.token);
      expect(listed.text).not.toContain(issued.body.token);
    });

    it('issues a token that authenticates with the scope it was given', async () => {
      const issued = await issue(admin.token, { label: 'read only', scope: 'read' });
      const me = await keyhold.get('/v1/me', issued.body.token);
      expect(me.status).toBe(200);
      // An admin's read-scoped token keeps every reading permission and no writing one.
      expect(me.body.permissions).toEqual(expect.arrayContaining(['tokens:introspect', 'tokens:read', 'tokens:read_all', 'users:read']));
      expect(me.body.permissions.every((p: keyof typeof PERMISSIONS) => PERMISSIONS[p] === 'read')).toBe(true);
      expectProblem(await issue(issued.body.token, { label: 'escalate', scope: 'read_write' }), 403, 'forbidden');
      expect((await keyhold.get('/v1/tokens', issued.body.token)).status).toBe(200);
    });

    it('keeps labels unique among the owner’s active tokens only', async () => {
      const first = await issue(admin.token, { label: 'deploy bot', scope: 'read' });
      const clash = await issue(admin.token, { label: '  Deploy Bot ', scope: 'read_write' });
      expectProblem(clash, 409, 'label-taken');
      await keyhold.post(`/v1/tokens/${first.body.id}/revoke`, admin.token, {});
      expect((await issue(admin.token, { label: 'deploy bot', scope: 'read' })).status).toBe(201);
    });

    it('stops accepting a token at its expiry instant', async () => {
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const issued = await issue(admin.token, { label: 'short lived', scope: 'read', expiresAt });
      expect(issued.status).toBe(201);
      expect(issued.body.expiresAt).toBe(expiresAt);
      expect((await keyhold.get('/v1/me', issued.body.token)).status).toBe(200);
      await sleep(1700);
      expectProblem(await keyhold.get('/v1/me', issued.body.token), 401, 'unauthenticated');
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: issued.body.token } });
      expect(introspected.body).toEqual({ active: false });
      expect((await keyhold.get(`/v1/tokens/${issued.body.id}`, admin.token)).body.status).toBe('expired');
    });

    it('refuses an expiry in the past', async () => {
      const result = await issue(admin.token, { label: 'past', scope: 'read', expiresAt: '2020-01-01T00:00:00Z' });
      expectProblem(result, 400, 'validation-error');
    });

    it('does not issue a second token for a retried request with the same idempotency key', async () => {
      const headers = { 'Idempotency-Key': 'retry-me-0001' };
      const first = await issue(admin.token, { label: 'idempotent', scope: 'read' }, headers);
      const retry = await issue(admin.token, { label: 'idempotent', scope: 'read' }, headers);
      expect(first.status).toBe(201);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
      expect(retry.body.token).toBeUndefined();
      const different = await issue(admin.token, { label: 'idempotent', scope: 'read_write' }, headers);
      expectProblem(different, 422, 'idempotency-key-reused');
      expectProblem(await issue(admin.token, { label: 'x', scope: 'read' }, { 'Idempotency-Key': 'bad key!' }), 400, 'validation-error');
    });
  });

  describe('revoking', () => {
    it('takes effect on this node at once and is final', async () => {
      const issued = await issue(admin.token, { label: 'to revoke', scope: 'read_write' });
      expect((await keyhold.get('/v1/me', issued.body.token)).status).toBe(200);
      const revoked = await keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, { reason: 'laptop lost' });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: issued.body.id, status: 'revoked' });
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      expectProblem(await keyhold.get('/v1/me', issued.body.token), 401, 'unauthenticated');
      const again = await keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, {});
      expect(again.status).toBe(200);
      expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    });

    it('records who revoked and why in the event, for auditors', async () => {
      const issued = await issue(admin.token, { label: 'audited', scope: 'read' });
      const revoked = await keyhold.request('POST', `/v1/tokens/${issued.body.id}/revoke`, {
        token: admin.token,
        json: {},
        headers: { 'Keyhold-Reason': 'offboarding ticket OPS-42', 'X-Correlation-Id': 'ops-42' },
      });
      expect(revoked.status).toBe(200);
      const stream = await keyhold.app.get<symbol, EventStore>(EVENT_STORE).readStream(`personalTokens-${admin.userId}`);
      const event = stream.find((e) => e.type === 'TokenRevoked' && (e.data as { tokenId: string }).tokenId === issued.body.id);
      expect(event?.metadata).toMatchObject({ actorId: admin.userId, reason: 'offboarding ticket OPS-42', correlationId: 'ops-42', tenantId: admin.tenantId });
      const tooLong = await keyhold.request('POST', `/v1/tokens/${issued.body.id}/revoke`, { token: admin.token, json: {}, headers: { 'Keyhold-Reason': 'x'.repeat(501) } });
      expectProblem(tooLong, 400, 'validation-error');
    });

    it('records a reason sent in the body like the Keyhold-Reason header, and refuses two different ones', async () => {
      const issued = await issue(admin.token, { label: 'lost laptop', scope: 'read' });
      const conflicting = await keyhold.request('POST', `/v1/tokens/${issued.body.id}/revoke`, {
        token: admin.token,
        json: { reason: 'laptop lost' },
        headers: { 'Keyhold-Reason': 'something else' },
      });
      expectProblem(conflicting, 400, 'validation-error');
      expect((await keyhold.get(`/v1/tokens/${issued.body.id}`, admin.token)).body.status).toBe('active');

      const revoked = await keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, { reason: 'laptop lost' });
      expect(revoked.status).toBe(200);
      const stream = await keyhold.app.get<symbol, EventStore>(EVENT_STORE).readStream(`personalTokens-${admin.userId}`);
      const event = stream.find((e) => e.type === 'TokenRevoked' && (e.data as { tokenId: string }).tokenId === issued.body.id);
      expect(event?.metadata.reason).toBe('laptop lost');
      expect(event?.data).toMatchObject({ reason: 'laptop lost' });
    });

    it('records exactly one revocation when two revokes race', async () => {
      const issued = await issue(admin.token, { label: 'raced', scope: 'read' });
      const [a, b] = await Promise.all([
        keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, {}),
        keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, {}),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const stream = await keyhold.app.get<symbol, EventStore>(EVENT_STORE).readStream(`personalTokens-${admin.userId}`);
      const revocations = stream.filter((e) => e.type === 'TokenRevoked' && (e.data as { tokenId: string }).tokenId === issued.body.id);
      expect(revocations).toHaveLength(1);
    });

    it("lets a member revoke their own token but not see or revoke another user's", async () => {
      const member = await keyhold.addUser(admin.token, 'member1@acme.test', 'member');
      expect(member.added.status).toBe(201);
      const memberToken = member.token;
      const adminOwned = await issue(admin.token, { label: 'admin owned', scope: 'read' });
      expectProblem(await keyhold.post(`/v1/tokens/${adminOwned.body.id}/revoke`, memberToken, {}), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/tokens/${adminOwned.body.id}`, memberToken), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/tokens?owner=${admin.userId}`, memberToken), 403, 'forbidden');

      const own = await issue(memberToken, { label: 'member own', scope: 'read' });
      expect((await keyhold.post(`/v1/tokens/${own.body.id}/revoke`, memberToken, {})).status).toBe(200);
      const memberOther = await issue(memberToken, { label: 'member other', scope: 'read' });
      expect((await keyhold.post(`/v1/tokens/${memberOther.body.id}/revoke`, admin.token, {})).status).toBe(200);
    });
  });

  describe('ETag and If-Match', () => {
    const etagOf = async (id: string) => {
      const fetched = await keyhold.get(`/v1/tokens/${id}`, admin.token);
      expect(fetched.status).toBe(200);
      return fetched.headers.get('etag');
    };
    const revoke = (id: string, ifMatch: string) => keyhold.request('POST', `/v1/tokens/${id}/revoke`, { token: admin.token, json: {}, headers: { 'if-match': ifMatch } });

    it('names the revision a token was read at, and a new one after a write', async () => {
      const issued = await issue(admin.token, { label: 'etag', scope: 'read' });
      const before = await etagOf(issued.body.id);
      expect(before).toMatch(/^"\d+"$/);
      expect(await etagOf(issued.body.id)).toBe(before);
      await issue(admin.token, { label: 'etag neighbour', scope: 'read' });
      const after = await etagOf(issued.body.id);
      expect(after).toMatch(/^"\d+"$/);
      expect(after).not.toBe(before);
    });

    it('refuses a change on a stale revision with 412 and makes it on the current one', async () => {
      const issued = await issue(admin.token, { label: 'if-match', scope: 'read' });
      const seen = (await etagOf(issued.body.id))!;
      await issue(admin.token, { label: 'if-match moves the stream', scope: 'read' });

      expectProblem(await revoke(issued.body.id, seen), 412, 'precondition-failed');
      expect((await keyhold.get(`/v1/tokens/${issued.body.id}`, admin.token)).body.status).toBe('active');
      expectProblem(await revoke(issued.body.id, `W/${seen}`), 412, 'precondition-failed');

      const current = (await etagOf(issued.body.id))!;
      const revoked = await revoke(issued.body.id, current);
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      expect(await etagOf(issued.body.id)).not.toBe(current);
      expect((await revoke(issued.body.id, '*')).status).toBe(200);
    });
  });

  describe('users: ETag and If-Match', () => {
    // A user is held by its tenant's stream: its ETag is that stream's revision.
    const add = async (email: string) => {
      const added = await keyhold.post('/v1/users', admin.token, { email, role: 'member' });
      expect(added.status).toBe(201);
      return added.body.id as string;
    };
    const etagOf = async (userId: string) => {
      const fetched = await keyhold.get(`/v1/users/${userId}`, admin.token);
      expect(fetched.status).toBe(200);
      return fetched.headers.get('etag')!;
    };
    const changeRole = (userId: string, role: string, ifMatch?: string) =>
      keyhold.request('PUT', `/v1/users/${userId}/role`, { token: admin.token, json: { role }, headers: ifMatch ? { 'if-match': ifMatch } : {} });

    it('names the revision a user was read at, and a new one after a change in the tenant', async () => {
      const userId = await add('etag@users.test');
      const before = await etagOf(userId);
      expect(before).toMatch(/^"\d+"$/);
      expect(await etagOf(userId)).toBe(before);
      await add('neighbour@users.test');
      expect(await etagOf(userId)).not.toBe(before);
    });

    it('refuses a role change on a stale revision with 412, makes it on the current one, and keeps If-Match optional', async () => {
      const userId = await add('if-match@users.test');
      const seen = await etagOf(userId);
      await add('moves-the-tenant@users.test');

      expectProblem(await changeRole(userId, 'admin', seen), 412, 'precondition-failed');
      expect((await keyhold.get(`/v1/users/${userId}`, admin.token)).body.role).toBe('member');
      expectProblem(await changeRole(userId, 'admin', '"not a revision"'), 412, 'precondition-failed');

      const current = await etagOf(userId);
      const changed = await changeRole(userId, 'admin', current);
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual({ userId, role: 'admin' });
      expect(await etagOf(userId)).not.toBe(current);
      expect((await changeRole(userId, 'member')).status).toBe(200);
    });
  });

  describe('rights follow the owner', () => {
    it('narrows every token of a user at once when the user loses a role', async () => {
      const added = await keyhold.addUser(admin.token, 'second-admin@acme.test', 'admin');
      const secondAdmin = added.token;
      expect((await keyhold.post('/v1/users', secondAdmin, { email: 'probe1@acme.test', role: 'member' })).status).toBe(201);

      const demoted = await keyhold.request('PUT', `/v1/users/${added.added.body.id}/role`, { token: admin.token, json: { role: 'member' } });
      expect(demoted.status).toBe(200);
      expectProblem(await keyhold.post('/v1/users', secondAdmin, { email: 'probe2@acme.test', role: 'member' }), 403, 'forbidden');
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: secondAdmin } });
      expect(introspected.body.permissions).toEqual(['tokens:read', 'tokens:write']);
    });

    it('keeps at least one admin', async () => {
      const demoteSelf = await keyhold.request('PUT', `/v1/users/${admin.userId}/role`, { token: admin.token, json: { role: 'member' } });
      // Another admin was added and demoted above, so alice is the only admin left.
      expectProblem(demoteSelf, 409, 'last-admin');
    });
  });

  describe('introspection (RFC 7662)', () => {
    it('describes an active token', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const issued = await issue(admin.token, { label: 'introspected', scope: 'read', expiresAt });
      const result = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: issued.body.token } });
      expect(result.status).toBe(200);
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.body).toMatchObject({
        active: true,
        scope: 'read',
        sub: admin.userId,
        token_type: 'Bearer',
        tenant_id: admin.tenantId,
        jti: issued.body.id,
        exp: Math.floor(Date.parse(expiresAt) / 1000),
      });
      expect(Math.abs(result.body.iat - Date.now() / 1000)).toBeLessThan(60);
    });

    it.each([
      ['an unknown well-formed-looking token', 'kh_pat_' + 'A'.repeat(49)],
      ['random text', 'hello'],
      ['a token with a broken checksum', 'broken'],
    ])('answers only {active:false} for %s', async (_name, candidate) => {
      const value = candidate === 'broken' ? admin.token.slice(0, -1) + (admin.token.endsWith('A') ? 'B' : 'A') : candidate;
      const result = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: value } });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ active: false });
    });

    it('refuses callers without the introspect permission, OAuth style', async () => {
      const member = await keyhold.addUser(admin.token, 'member2@acme.test', 'member');
      const result = await keyhold.request('POST', '/oauth/introspect', { token: member.token, form: { token: admin.token } });
      expect(result.status).toBe(403);
      expect(result.body).toMatchObject({ error: 'insufficient_scope' });
      expect(result.headers.get('www-authenticate')).toContain('insufficient_scope');
    });

    it('answers invalid_token without a valid bearer and invalid_request without a token', async () => {
      const anonymous = await keyhold.request('POST', '/oauth/introspect', { form: { token: admin.token } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ error: 'invalid_token' });
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      const missing = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: {} });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('bad input', () => {
    it.each([
      ['a missing label', { scope: 'read' }, 'label'],
      ['an oversize label', { label: 'x'.repeat(101), scope: 'read' }, 'label'],
      ['a label of the wrong type', { label: 123, scope: 'read' }, 'label'],
      ['a label with control characters', { label: 'bad\u0007bell', scope: 'read' }, 'label'],
      ['an unknown scope', { label: 'x', scope: 'admin' }, 'scope'],
      ['a scope of the wrong type', { label: 'x', scope: ['read'] }, 'scope'],
      ['an unknown field', { label: 'x', scope: 'read', owner: 'someone-else' }, 'owner'],
      ['a malformed expiry', { label: 'x', scope: 'read', expiresAt: 'tomorrow' }, 'expiresAt'],
    ])('rejects %s with a problem naming the field', async (_name, body, field) => {
      const result = await issue(admin.token, body);
      expectProblem(result, 400, 'validation-error');
      expect(result.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('rejects malformed JSON, a non-object body, an oversize body and an unsupported media type', async () => {
      expectProblem(await keyhold.request('POST', '/v1/tokens', { token: admin.token, body: '{"label":', headers: { 'content-type': 'application/json' } }), 400, 'malformed-request');
      expectProblem(await issue(admin.token, 'just a string'), 400, 'validation-error');
      expectProblem(await issue(admin.token, { label: 'x'.repeat(20_000), scope: 'read' }), 413, 'payload-too-large');
      expectProblem(await keyhold.request('POST', '/v1/tokens', { token: admin.token, body: 'label=x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type');
    });

    it('rejects malformed ids, unknown ids and bad cursors', async () => {
      expectProblem(await keyhold.get('/v1/tokens/not-a-uuid', admin.token), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/tokens/00000000-0000-4000-8000-000000000000', admin.token), 404, 'not-found');
      expectProblem(await keyhold.get('/v1/tokens?cursor=garbage', admin.token), 400, 'invalid-cursor');
      expectProblem(await keyhold.get('/v1/tokens?limit=0', admin.token), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/nothing-here', admin.token), 404, 'not-found');
    });

    it('rejects missing, malformed and unknown bearer tokens with 401', async () => {
      for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer kh_pat_nope', `Bearer ${'kh_pat_' + 'B'.repeat(49)}`]) {
        const result = await keyhold.request('GET', '/v1/tokens', { headers: authorization ? { authorization } : {} });
        expectProblem(result, 401, 'unauthenticated');
        expect(result.headers.get('www-authenticate')).toContain('Bearer');
      }
    });

    it('loses or corrupts nothing already stored', async () => {
      const before = await keyhold.get('/v1/tokens?limit=200', admin.token);
      await issue(admin.token, { label: 123 });
      await keyhold.request('POST', '/v1/tokens', { token: admin.token, body: '{{{', headers: { 'content-type': 'application/json' } });
      await keyhold.post('/v1/tokens/not-a-uuid/revoke', admin.token, {});
      const after = await keyhold.get('/v1/tokens?limit=200', admin.token);
      // lastUsedAt moves with every authenticated call, including these; everything else must not.
      const withoutUsage = (items: Array<Record<string, unknown>>) => items.map(({ lastUsedAt: _ignored, ...rest }) => rest);
      expect(withoutUsage(after.body.items)).toEqual(withoutUsage(before.body.items));
    });
  });

  describe('tenant isolation', () => {
    it('hides one tenant’s tokens and users from another', async () => {
      const other = await keyhold.bootstrap('globex');
      const acmeToken = await issue(admin.token, { label: 'acme private', scope: 'read' });

      expectProblem(await keyhold.get(`/v1/tokens/${acmeToken.body.id}`, other.token), 404, 'not-found');
      expectProblem(await keyhold.post(`/v1/tokens/${acmeToken.body.id}/revoke`, other.token, {}), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/users/${admin.userId}`, other.token), 404, 'not-found');
      expectProblem(
        await keyhold.request('PUT', `/v1/users/${admin.userId}/role`, { token: other.token, json: { role: 'member' } }),
        404,
        'not-found',
      );
      const all = await keyhold.get('/v1/tokens?owner=all&limit=200', other.token);
      expect(all.body.items.map((t: { id: string }) => t.id)).not.toContain(acmeToken.body.id);
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: other.token, form: { token: acmeToken.body.token } });
      expect(introspected.body).toEqual({ active: false });
      expect((await keyhold.get(`/v1/tokens/${acmeToken.body.id}`, admin.token)).body.status).toBe('active');
    });
  });

  describe('reads', () => {
    it('pages through a list with cursors', async () => {
      const { token } = await keyhold.addUser(admin.token, 'pager@acme.test', 'member');
      for (let n = 0; n < 4; n += 1) await issue(token, { label: `page ${n}`, scope: 'read' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await keyhold.get(
          `/v1/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          token,
        );
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((t) => t.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    });

    it('tracks when a token was last used, without an event per use', async () => {
      const issued = await issue(admin.token, { label: 'usage tracked', scope: 'read' });
      const eventsBefore = await keyhold.app.get<symbol, EventStore>(EVENT_STORE).headPosition();
      await keyhold.get('/v1/me', issued.body.token);
      await keyhold.get('/v1/me', issued.body.token);
      await keyhold.app.get(UsageRecorder).flush();
      const fetched = await keyhold.get(`/v1/tokens/${issued.body.id}`, admin.token);
      expect(Date.parse(fetched.body.lastUsedAt)).toBeGreaterThan(Date.parse(issued.body.createdAt) - 1);
      expect(await keyhold.app.get<symbol, EventStore>(EVENT_STORE).headPosition()).toBe(eventsBefore);
    });

    it('serves health, readiness and the OpenAPI document without a token', async () => {
      expect((await keyhold.get('/health')).body).toEqual({ status: 'ok' });
      const ready = await keyhold.get('/health/ready', admin.token);
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ eventStore: { status: 'up' }, readModels: { status: 'up' }, messageBus: { status: 'up' } });
      expect(ready.body.projections.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['credential-index', 'lifecycle-relay', 'tokens', 'users']),
      );
      const openapi = await keyhold.get('/openapi.json');
      expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/tokens', '/v1/tokens/{id}/revoke', '/oauth/introspect']));
    });
  });
};

describe('Personal API tokens, end to end over HTTP (embedded)', () => describeTokenLifecycle(() => ({})));

describeWithServer('MONGO_URL', 'Personal API tokens, end to end over HTTP (MongoDB read models)', (mongoUrl) =>
  describeTokenLifecycle(() => ({
    READ_MODELS: 'mongo',
    MONGO_URL: mongoUrl,
    MONGO_DATABASE: `keyhold_e2e_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
  })),
);
