import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { parseOAuthHeader, percentEncode, precheck, signatureBaseString, signatureMatches, signedRequest, SignedRequest } from './oauth1-signature';

const signed = (...args: Parameters<typeof signedRequest>): SignedRequest => {
  const request = signedRequest(...args);
  if ('problem' in request) throw new Error(request.problem);
  return request;
};

describe('OAuth 1.0a signatures (RFC 5849)', () => {
  it('builds the signature base string of the RFC 5849 §3.4.1.1 example', () => {
    const header = parseOAuthHeader(
      'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", ' +
        'oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
    )!;
    const request = signed('post', 'http://example.com/request', header, [...new URLSearchParams('b5=%3D%253D&a3=a&c%40=&a2=r%20b')], [...new URLSearchParams('c2&a3=2+q')]);
    expect(signatureBaseString(request)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26' +
        'oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
    expect(request.oauth).toMatchObject({ oauth_consumer_key: '9djdj82h48djs9d2', oauth_signature: 'bYT5CMsGcbgUdFHObYMEfcx6bsw=' });
  });

  it('agrees with the oauth-1.0a client library on HMAC-SHA256 signatures, and refuses any change', () => {
    const oauth = new OAuth({
      consumer: { key: 'kh_ick_consumer', secret: 'consumer secret & more' },
      signature_method: 'HMAC-SHA256',
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    });
    const url = 'http://127.0.0.1:3000/v1/users?limit=2&q=a b';
    const token = { key: 'kh_iat_token', secret: 'token/secret' };
    const header = parseOAuthHeader(oauth.toHeader(oauth.authorize({ url, method: 'GET' }, token)).Authorization)!;
    const request = signed('GET', 'http://127.0.0.1:3000/v1/users', header, [...new URLSearchParams('limit=2&q=a%20b')], []);
    expect(signatureMatches(request, 'consumer secret & more', 'token/secret')).toBe(true);
    expect(signatureMatches(request, 'consumer secret & more', 'other')).toBe(false);
    expect(signatureMatches(request, 'other', 'token/secret')).toBe(false);
    const tampered = signed('GET', 'http://127.0.0.1:3000/v1/users', header, [...new URLSearchParams('limit=3&q=a%20b')], []);
    expect(signatureMatches(tampered, 'consumer secret & more', 'token/secret')).toBe(false);
    const elsewhere = signed('GET', 'http://127.0.0.1:3000/v1/tokens', header, [...new URLSearchParams('limit=2&q=a%20b')], []);
    expect(signatureMatches(elsewhere, 'consumer secret & more', 'token/secret')).toBe(false);
  });

  it('percent-encodes as RFC 3986 unreserved characters require', () => {
    expect(percentEncode("Ladies + Gentlemen!*'()~._-")).toBe('Ladies%20%2B%20Gentlemen%21%2A%27%28%29~._-');
    expect(percentEncode('é')).toBe('%C3%A9');
  });

  it('reads only well-formed OAuth headers', () => {
    expect(parseOAuthHeader('Bearer x')).toBeNull();
    expect(parseOAuthHeader('OAuth oauth_nonce=unquoted')).toBeNull();
    expect(parseOAuthHeader('OAuth oauth_nonce="%E0%A4%A"')).toBeNull();
    expect(parseOAuthHeader('OAuth realm="r", oauth_nonce="n%20n"')).toEqual([['oauth_nonce', 'n n']]);
  });

  describe('checks before any secret is used', () => {
    const NOW = 1_800_000_000_000;
    const base = {
      oauth_consumer_key: 'k',
      oauth_signature: 's',
      oauth_signature_method: 'HMAC-SHA256',
      oauth_timestamp: String(NOW / 1000),
      oauth_nonce: 'n',
      oauth_token: 't',
    };
    const check = (oauth: Record<string, string | undefined>, required: string[] = ['oauth_token']) =>
      precheck(
        signed('GET', 'http://h/p', Object.entries(oauth).flatMap(([name, value]) => (value === undefined ? [] : [[name, value] as const])), [], []),
        required,
        NOW,
      );

    it('accepts a complete request within the window', () => {
      expect(check(base)).toBeNull();
      expect(check({ ...base, oauth_timestamp: String(NOW / 1000 - 300), oauth_version: '1.0' })).toBeNull();
    });

    it.each<[string, Record<string, string | undefined>, string]>([
      ['no token', { oauth_token: undefined }, 'parameter_absent'],
      ['no nonce', { oauth_nonce: undefined }, 'parameter_absent'],
      ['PLAINTEXT', { oauth_signature_method: 'PLAINTEXT' }, 'signature_method_rejected'],
      ['HMAC-SHA1', { oauth_signature_method: 'HMAC-SHA1' }, 'signature_method_rejected'],
      ['version 2.0', { oauth_version: '2.0' }, 'version_rejected'],
      ['a stale timestamp', { oauth_timestamp: String(NOW / 1000 - 301) }, 'timestamp_refused'],
      ['a future timestamp', { oauth_timestamp: String(NOW / 1000 + 301) }, 'timestamp_refused'],
      ['a timestamp that is not a number', { oauth_timestamp: '1e9' }, 'timestamp_refused'],
      ['an overlong nonce', { oauth_nonce: 'n'.repeat(129) }, 'parameter_rejected'],
    ])('refuses %s', (_case, change, problem) => {
      expect(check({ ...base, ...change })).toBe(problem);
    });

    it('refuses a protocol parameter given twice', () => {
      expect(signedRequest('GET', 'http://h/p', [['oauth_nonce', 'a']], [['oauth_nonce', 'b']], [])).toEqual({ problem: 'parameter_rejected' });
    });
  });
});
