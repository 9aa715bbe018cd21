import fc from 'fast-check';
import {
  MAX_ACTIVE_TOKENS_PER_OWNER,
  PersonalToken,
  PersonalTokenCommand,
  PersonalTokenEvent,
  personalTokensDecider,
  PersonalTokensState,
} from './personal-tokens';
import { TokenScope } from '../shared/permissions';

/**
 * The decider against a reference model on long random streams: a plain array of tokens, copied
 * whole at every step and scanned for every rule, too slow to serve but plain to read. Whatever
 * shape the state takes to fold in O(1) per event, it must decide and hold what the model does,
 * and an evolved state must leave the one it came from as it was (the fold cache shares states).
 */
const TENANT_ID = 'tenant-1';
const OWNER_ID = 'owner-1';
const START = Date.parse('2025-03-01T09:00:00.000Z');
const at = (minute: number) => new Date(START + minute * 60_000).toISOString();

/** A few labels that collide (case, spaces), the rest unique, so that some streams reach the limit. */
const LABELS = ['CI deploy', 'ci deploy', '  CI DEPLOY ', 'backup', 'Backup'];
type Step =
  | { step: 'issue'; label: number; scope: TokenScope; expiresIn: number | null; key: number | null; fingerprint: number }
  | { step: 'revoke'; token: number | null; by: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      step: fc.constant('issue' as const),
      // Beyond LABELS.length, a label of its own.
      label: fc.nat(LABELS.length * 20),
      scope: fc.constantFrom<TokenScope>('read', 'read_write'),
      // Minutes from now (a step is a minute): past, now and future expiries, some passing as the stream goes on.
      expiresIn: fc.option(fc.integer({ min: -2, max: 400 }), { freq: 2 }),
      key: fc.option(fc.nat(400), { freq: 2 }),
      fingerprint: fc.nat(1),
    }),
  },
  // A token issued earlier (by its place among the ids issued), or now and then one never issued.
  { weight: 1, arbitrary: fc.record({ step: fc.constant('revoke' as const), token: fc.option(fc.nat(10_000), { freq: 10 }), by: fc.nat(2) }) },
);

type ModelToken = PersonalToken;
type Model = { readonly owner: { tenantId: string; ownerId: string } | null; readonly tokens: readonly ModelToken[] };
type Outcome = { outcome: 'accepted'; events: readonly PersonalTokenEvent[] } | { outcome: 'rejected'; code: string };

const sameLabel = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const live = (token: ModelToken, now: string) => token.status === 'active' && (token.expiresAt === null || token.expiresAt > now);

const modelDecide = (model: Model, command: PersonalTokenCommand): Outcome => {
  if (command.type === 'RevokeToken') {
    const token = model.tokens.find((t) => t.tokenId === command.tokenId);
    if (!token || !model.owner) return { outcome: 'rejected', code: 'TokenNotFound' };
    if (token.status === 'revoked') return { outcome: 'accepted', events: [] };
    const { tokenId, revokedBy, reason, now } = command;
    return { outcome: 'accepted', events: [{ type: 'TokenRevoked', data: { ...model.owner, tokenId, revokedAt: now, revokedBy, reason } }] };
  }
  const earlier = command.idempotency && model.tokens.find((t) => t.idempotency?.key === command.idempotency?.key);
  if (earlier) {
    return earlier.idempotency?.requestFingerprint === command.idempotency?.requestFingerprint
      ? { outcome: 'accepted', events: [] }
      : { outcome: 'rejected', code: 'IdempotencyKeyReused' };
  }
  if (command.expiresAt !== null && command.expiresAt <= command.now) return { outcome: 'rejected', code: 'ExpiryNotInFuture' };
  const liveNow = model.tokens.filter((t) => live(t, command.now));
  if (liveNow.some((t) => sameLabel(t.label, command.label))) return { outcome: 'rejected', code: 'LabelTaken' };
  if (liveNow.length >= MAX_ACTIVE_TOKENS_PER_OWNER) return { outcome: 'rejected', code: 'TooManyActiveTokens' };
  const { type: _type, now, ...data } = command;
  return { outcome: 'accepted', events: [{ type: 'TokenIssued', data: { ...data, issuedAt: now } }] };
};

const modelEvolve = (model: Model, event: PersonalTokenEvent): Model => {
  if (event.type === 'TokenIssued') {
    const { tenantId, ownerId, tokenId, label, scope, hint, issuedAt, expiresAt, idempotency } = event.data;
    const token: ModelToken = { status: 'active', tokenId, label, scope, hint, issuedAt, expiresAt, idempotency };
    return { owner: model.owner ?? { tenantId, ownerId }, tokens: [...model.tokens.filter((t) => t.tokenId !== tokenId), token] };
  }
  const { tokenId, revokedAt, revokedBy } = event.data;
  return {
    ...model,
    tokens: model.tokens.map((t) => (t.tokenId === tokenId ? { ...t, status: 'revoked' as const, revokedAt, revokedBy } : t)),
  };
};

/** What a state holds, as plain data: its owner and its tokens by id. */
const contentOf = (state: PersonalTokensState) => ({ owner: state.owner, tokens: Object.fromEntries(state.tokens.entries()) });
const modelContent = (model: Model) => ({ owner: model.owner, tokens: Object.fromEntries(model.tokens.map((t) => [t.tokenId, t])) });

const outcomeOf = (command: PersonalTokenCommand, state: PersonalTokensState): Outcome => {
  const decision = personalTokensDecider.decide(command, state);
  return decision.outcome === 'accepted' ? decision : { outcome: 'rejected', code: decision.rejection.code };
};

describe('personal tokens decider against a reference model', () => {
  it('decides and folds long random streams as the model does, and never changes a state it evolved from', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 100, maxLength: 400 }), (steps) => {
        let state = personalTokensDecider.initialState();
        let model: Model = { owner: null, tokens: [] };
        // Each state evolved from, with what it held of the token the event touched: the fold
        // cache shares states, so a later event must not show through an earlier state.
        const seen: { state: PersonalTokensState; size: number; tokenId: string; token: PersonalToken | undefined }[] = [];
        const ids: string[] = [];
        steps.forEach((s, minute) => {
          const now = at(minute);
          let command: PersonalTokenCommand;
          if (s.step === 'issue') {
            const tokenId = `tok-${minute}`;
            ids.push(tokenId);
            command = {
              type: 'IssueToken',
              tenantId: TENANT_ID,
              ownerId: OWNER_ID,
              tokenId,
              label: LABELS[s.label] ?? `token ${s.label} at ${minute}`,
              scope: s.scope,
              secretHash: `hash-${minute}`,
              hashKeyId: 'k1',
              hint: `kh_pat_…${minute}`,
              expiresAt: s.expiresIn === null ? null : at(minute + s.expiresIn),
              idempotency: s.key === null ? null : { key: `idem-${s.key}`, requestFingerprint: `fp-${s.fingerprint}` },
              now,
            };
          } else {
            command = { type: 'RevokeToken', tokenId: s.token === null || ids.length === 0 ? 'tok-unknown' : ids[s.token % ids.length], revokedBy: `actor-${s.by}`, reason: null, now };
          }
          const expected = modelDecide(model, command);
          expect(outcomeOf(command, state)).toStrictEqual(expected);
          if (expected.outcome === 'rejected') return;
          for (const event of expected.events) {
            const { tokenId } = event.data;
            seen.push({ state, size: state.tokens.size, tokenId, token: state.tokens.get(tokenId) });
            state = personalTokensDecider.evolve(state, event);
            model = modelEvolve(model, event);
            expect(state.tokens.get(tokenId)).toStrictEqual(model.tokens.find((t) => t.tokenId === tokenId));
            expect(state.tokens.size).toBe(model.tokens.length);
          }
        });
        expect(contentOf(state)).toStrictEqual(modelContent(model));
        for (const earlier of seen) {
          expect(earlier.state.tokens.size).toBe(earlier.size);
          expect(earlier.state.tokens.get(earlier.tokenId)).toBe(earlier.token);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('an event for a token the stream does not hold leaves the state as it was', () => {
    const state = personalTokensDecider.initialState();
    const stray: PersonalTokenEvent = {
      type: 'TokenRevoked',
      data: { tenantId: TENANT_ID, ownerId: OWNER_ID, tokenId: 'tok-x', revokedAt: at(0), revokedBy: OWNER_ID, reason: null },
    };
    expect(personalTokensDecider.evolve(state, stray)).toBe(state);
  });
});
