import { generateSecret, parseSecret, secretHint } from './secret-token';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'kh_pat_';
const RANDOM_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const SECRET_LENGTH = PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;

const replaceAt = (text: string, index: number, char: string) => text.slice(0, index) + char + text.slice(index + 1);

describe('generateSecret', () => {
  const secret = generateSecret('personalApiToken');

  it('has the kh_pat_ prefix, 43 random and 6 checksum base62 characters', () => {
    expect(secret.startsWith(PREFIX)).toBe(true);
    expect(secret).toHaveLength(SECRET_LENGTH);
    expect(secret.slice(PREFIX.length)).toMatch(/^[0-9A-Za-z]{49}$/);
  });

  it('parses back to its kind', () => {
    expect(parseSecret(secret)).toBe('personalApiToken');
  });

  it('always produces well-formed, parseable secrets', () => {
    for (let i = 0; i < 500; i += 1) {
      const generated = generateSecret('personalApiToken');
      expect(generated).toMatch(/^kh_pat_[0-9A-Za-z]{49}$/);
      expect(parseSecret(generated)).toBe('personalApiToken');
    }
  });

  it('never repeats itself over 1000 secrets (nor their random bodies)', () => {
    const secrets = Array.from({ length: 1000 }, () => generateSecret('personalApiToken'));
    expect(new Set(secrets).size).toBe(1000);
    expect(new Set(secrets.map((s) => s.slice(PREFIX.length, PREFIX.length + RANDOM_LENGTH))).size).toBe(1000);
  });

  it('draws body characters uniformly from base62 (chi-square sanity check over ~200k characters)', () => {
    const counts = new Map<string, number>([...BASE62].map((char) => [char, 0]));
    let total = 0;
    for (let i = 0; i < 5000; i += 1) {
      for (const char of generateSecret('personalApiToken').slice(PREFIX.length, PREFIX.length + RANDOM_LENGTH)) {
        counts.set(char, (counts.get(char) ?? 0) + 1);
        total += 1;
      }
    }
    expect(total).toBe(5000 * RANDOM_LENGTH);
    expect(counts.size).toBe(62); // nothing outside base62 was counted
    const expected = total / 62;
    const chiSquare = [...counts.values()].reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    // 61 degrees of freedom: mean 61, sd ~11. 200 is beyond any chance (p < 1e-15) yet far below
    // what a modulo bias gives (bytes mod 62 without rejection: chi-square above 1000).
    expect(chiSquare).toBeLessThan(200);
    for (const observed of counts.values()) expect(observed).toBeGreaterThan(expected * 0.85);
  });
});

describe('parseSecret', () => {
  const secrets = Array.from({ length: 5 }, () => generateSecret('personalApiToken'));

  it('rejects every one-character substitution, at every position (prefix, body and checksum)', () => {
    let tried = 0;
    for (const secret of secrets) {
      for (let index = 0; index < secret.length; index += 1) {
        for (const char of BASE62 + '_-') {
          if (char === secret[index]) continue;
          const tampered = replaceAt(secret, index, char);
          if (parseSecret(tampered) !== null) throw new Error(`accepted ${tampered} (position ${index} of ${secret})`);
          tried += 1;
        }
      }
    }
    expect(tried).toBe(secrets.length * SECRET_LENGTH * 63);
  });

  it('rejects every swap of two adjacent, different characters', () => {
    for (const secret of secrets) {
      for (let index = PREFIX.length; index < secret.length - 1; index += 1) {
        if (secret[index] === secret[index + 1]) continue;
        const swapped = secret.slice(0, index) + secret[index + 1] + secret[index] + secret.slice(index + 2);
        expect(parseSecret(swapped)).toBeNull();
      }
    }
  });

  it('rejects a secret truncated, extended, padded or re-cased', () => {
    const [secret] = secrets;
    expect(parseSecret(secret.slice(0, -1))).toBeNull();
    expect(parseSecret(secret + 'A')).toBeNull();
    expect(parseSecret(` ${secret}`)).toBeNull();
    expect(parseSecret(`${secret}\n`)).toBeNull();
    expect(parseSecret(secret.toUpperCase())).toBeNull();
    expect(parseSecret(`Bearer ${secret}`)).toBeNull();
    expect(parseSecret('')).toBeNull();
  });

  it('rejects other prefixes, even with a checksum computed right for them', () => {
    const [secret] = secrets;
    const rest = secret.slice(PREFIX.length);
    for (const prefix of ['kh_pak_', 'kh_oat_', 'kh_patx_', 'kh_pa_', 'gh_pat_', 'ghp_', 'KH_PAT_', 'kh-pat-', 'khpat_', '']) {
      expect(parseSecret(prefix + rest)).toBeNull();
    }
  });

  it('rejects random base62 strings of the right shape (a checksum matches 1 in ~4e9)', () => {
    let accepted = 0;
    for (let i = 0; i < 2000; i += 1) {
      let body = '';
      for (let j = 0; j < RANDOM_LENGTH + CHECKSUM_LENGTH; j += 1) body += BASE62[Math.floor(Math.random() * 62)];
      if (parseSecret(PREFIX + body) !== null) accepted += 1;
    }
    expect(accepted).toBe(0);
  });

  it('rejects assorted junk', () => {
    for (const junk of ['kh_pat_', 'kh_pat_short', 'not a secret', 'kh_pat_' + '0'.repeat(49), 'x'.repeat(56), '{"token":"kh_pat_"}']) {
      expect(parseSecret(junk)).toBeNull();
    }
  });
});

describe('secretHint', () => {
  it('shows the prefix and the last four characters, and nothing of the random body', () => {
    const secret = generateSecret('personalApiToken');
    const hint = secretHint(secret);
    expect(hint).toBe(`${PREFIX}…${secret.slice(-4)}`);
    const body = secret.slice(PREFIX.length, PREFIX.length + RANDOM_LENGTH);
    // No five consecutive characters of the random part appear in the hint.
    for (let i = 0; i + 5 <= body.length; i += 1) expect(hint).not.toContain(body.slice(i, i + 5));
    expect(hint.length).toBeLessThan(PREFIX.length + 6);
  });

  it('differs between secrets only in the last four characters', () => {
    const hints = Array.from({ length: 20 }, () => secretHint(generateSecret('personalApiToken')));
    for (const hint of hints) expect(hint).toMatch(/^kh_pat_…[0-9A-Za-z]{4}$/);
  });
});
