import { AccessTokenClaims, OPERATOR } from '@keyhold/domain';
import { CommandPipeline } from '../command-pipeline';
import { IssueAccessToken, IssuingClient } from './issue-access-token';

const client: IssuingClient = { clientId: 'account-1', kind: 'service_account', tenantId: 'tenant-1', generation: 0, secretId: null };
const context = { actorId: 'account-1', correlationId: 'c', causationId: 'c', caller: OPERATOR };
const HOUR = 60 * 60_000;
const T0 = Date.parse('2026-01-01T10:15:00.000Z');

type Run = { stream: string; command: Record<string, unknown>; context: Record<string, unknown> };

/** The use case over a pipeline that records each append, succeeding unless `failing` says otherwise. */
const issuer = (failing = () => false) => {
  const runs: Run[] = [];
  const commands = {
    run: async (stream: string, _decider: unknown, command: Record<string, unknown>, runContext: Record<string, unknown>) => {
      runs.push({ stream, command, context: runContext });
      if (failing()) throw new Error('append failed');
      return { state: null, events: [], position: null };
    },
  } as unknown as CommandPipeline;
  const issue = new IssueAccessToken(commands, { seal: (claims) => `sealed:${claims.tokenId}` }, { ACCESS_TOKEN_TTL_SECONDS: 300 });
  return { runs, issue: () => issue.execute({ client, scope: [], context }) };
};

/**
 * The log keeps one `AccessTokensIssued` per client, generation and hour, appended before the
 * hour's first token is handed out; later tokens of the hour append nothing.
 */
describe('IssueAccessToken', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  it("appends the hour's record for its first token only, with that token's instant and the hour's window", async () => {
    const { runs, issue } = issuer();
    await issue();
    jest.setSystemTime(T0 + 60_000);
    await issue();
    expect(runs).toHaveLength(1);
    expect(runs[0].stream).toBe(`accessTokenIssuance-account-1.0.${Math.floor(T0 / HOUR)}`);
    expect(runs[0].command).toMatchObject({ windowStart: '2026-01-01T10:00:00.000Z', windowEnd: '2026-01-01T11:00:00.000Z', issuedAt: '2026-01-01T10:15:00.000Z' });
    expect(runs[0].context).toMatchObject({ tenantId: 'tenant-1', actorId: 'account-1', now: '2026-01-01T10:15:00.000Z' });
  });

  it('appends again in the next hour, under that hour', async () => {
    const { runs, issue } = issuer();
    await issue();
    jest.setSystemTime(T0 + HOUR);
    await issue();
    await issue();
    expect(runs.map((run) => run.command.windowStart)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']);
  });

  it("seals each token with its own whole second and that second's expiry, also when the second before issued tokens", async () => {
    const sealed: AccessTokenClaims[] = [];
    const commands = { run: async () => ({ state: null, events: [], position: null }) } as unknown as CommandPipeline;
    const issue = new IssueAccessToken(commands, { seal: (claims) => `${sealed.push(claims)}` }, { ACCESS_TOKEN_TTL_SECONDS: 300 });
    const at = async (ms: number) => {
      jest.setSystemTime(ms);
      await issue.execute({ client, scope: [], context });
      const { issuedAt, expiresAt } = sealed[sealed.length - 1];
      return [issuedAt, expiresAt];
    };
    expect(await at(T0 + 999)).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:20:00.000Z']);
    expect(await at(T0 + 1000)).toEqual(['2026-01-01T10:15:01.000Z', '2026-01-01T10:20:01.000Z']);
    expect(await at(T0 + 1999)).toEqual(['2026-01-01T10:15:01.000Z', '2026-01-01T10:20:01.000Z']);
    expect(await at(T0 + HOUR)).toEqual(['2026-01-01T11:15:00.000Z', '2026-01-01T11:20:00.000Z']);
  });

  it('hands out no token when the append fails, and appends again for the next one', async () => {
    let fail = true;
    const { runs, issue } = issuer(() => fail);
    await expect(issue()).rejects.toThrow('append failed');
    fail = false;
    await expect(issue()).resolves.toMatchObject({ accessToken: expect.stringMatching(/^sealed:/) });
    await issue();
    expect(runs).toHaveLength(2);
  });
});
