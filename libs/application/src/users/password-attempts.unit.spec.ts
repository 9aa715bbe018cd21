import { PasswordAttempts } from './password-attempts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;

describe('PasswordAttempts', () => {
  it('counts an attempt when it starts: of 20 begun at once, before any has finished, five go ahead', () => {
    const attempts = new PasswordAttempts();
    const answers = Array.from({ length: 20 }, () => attempts.begin('u1', T0));
    expect(answers.filter((wait) => wait === 0)).toHaveLength(5);
    expect(answers.slice(5).every((wait) => wait === 15 * 60)).toBe(true);
  });

  it('clears the count on a success, and keeps users apart', () => {
    const attempts = new PasswordAttempts();
    for (let n = 0; n < 4; n += 1) attempts.begin('u1', T0);
    attempts.succeeded('u1');
    for (let n = 0; n < 5; n += 1) expect(attempts.begin('u1', T0)).toBe(0);
    expect(attempts.begin('u1', T0)).toBeGreaterThan(0);
    expect(attempts.begin('u2', T0)).toBe(0);
  });

  it('lets the user try again once the oldest attempt leaves the fifteen-minute window', () => {
    const attempts = new PasswordAttempts();
    attempts.begin('u1', T0);
    for (let n = 0; n < 4; n += 1) attempts.begin('u1', T0 + 5 * MINUTE);
    expect(attempts.begin('u1', T0 + 10 * MINUTE)).toBe(5 * 60);
    expect(attempts.begin('u1', T0 + 15 * MINUTE)).toBe(0);
  });
});
