import 'reflect-metadata';
import { validationPipe } from '../http/validation';
import { IssueTokenDto, plainIssueTokenBody } from './token.dto';

/** The route's own validation: what a body becomes through the pipe, or that the pipe refuses it. */
const throughThePipe = async (body: unknown): Promise<{ accepted: true; dto: object } | { accepted: false }> => {
  try {
    const dto = (await validationPipe().transform(body, { type: 'body', metatype: IssueTokenDto })) as object;
    return { accepted: true, dto: { ...dto } };
  } catch {
    return { accepted: false };
  }
};

/** A deterministic stream of labels built from characters on both sides of every rule: ASCII, spaces, compatibility forms, controls, invisibles. */
const labels = (): string[] => {
  const pool = ['a', 'Z', '0', '~', '!', ' ', '\t', '\n', '\u00a0', 'é', 'ﬁ', 'Ｄ', '\u200b', '\u202e', '\u0000', '\u007f', '😀', '\ud800'];
  const out = ['', ' ', 'x', ' x', 'x ', 'a b', 'x'.repeat(99), 'x'.repeat(100), 'x'.repeat(101), `${'x'.repeat(99)} `, `a${' '.repeat(98)}b`, 'ＤＵＰ', 'dup\u200b'];
  let seed = 7;
  for (let n = 0; n < 400; n += 1) {
    let label = '';
    const length = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 12;
    for (let i = 0; i < length; i += 1) label += pool[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pool.length];
    out.push(label);
  }
  return out;
};

describe('plainIssueTokenBody: the fast path of POST /v1/tokens takes only what the route would accept as it stands', () => {
  const bodies: unknown[] = [
    ...labels().flatMap((label) => [{ label, scope: 'read' }, { label, scope: 'read_write' }]),
    { label: 'x', scope: 'admin' },
    { label: 'x', scope: 1 },
    { label: 'x' },
    { scope: 'read' },
    { label: 1, scope: 'read' },
    { label: ['x'], scope: 'read' },
    { label: 'x', scope: 'read', foo: 'bar' },
    { label: 'x', scope: 'read', expiresAt: '2099-01-01T00:00:00Z' },
    { label: 'x', foo: 'read' },
    ['x', 'read'],
    'just a string',
    null,
    {},
  ];

  it('never takes a body the validation pipe refuses or would change, and takes it as the pipe makes it', async () => {
    for (const body of bodies) {
      const fast = plainIssueTokenBody(body);
      if (fast === null) continue;
      expect({ body, pipe: await throughThePipe(body) }).toEqual({ body, pipe: { accepted: true, dto: fast } });
    }
  });

  it('takes the plain bodies clients send', () => {
    expect(plainIssueTokenBody({ label: 'Power BI on laptop', scope: 'read' })).toEqual({ label: 'Power BI on laptop', scope: 'read' });
    expect(plainIssueTokenBody({ scope: 'read_write', label: 'x'.repeat(100) })).toEqual({ label: 'x'.repeat(100), scope: 'read_write' });
    expect(plainIssueTokenBody({ label: 'CI (deploy) #42: ~/.ssh', scope: 'read' })).not.toBeNull();
  });

  it('leaves to the pipe what it would transform or refuse, so that its answers stay its own', () => {
    for (const body of [{ label: ' padded', scope: 'read' }, { label: 'ＤＵＰ', scope: 'read' }, { label: 'x'.repeat(101), scope: 'read' }, { label: 'x', scope: 'read', expiresAt: '2099-01-01T00:00:00Z' }]) {
      expect(plainIssueTokenBody(body)).toBeNull();
    }
  });
});
