import { ProcessLocalDigest } from './process-local-digest';
import { generateSecret } from './secret-token';

describe('ProcessLocalDigest', () => {
  const secret = generateSecret('clientSecret');

  it('gives one digest per secret, and another for another secret', () => {
    const digest = new ProcessLocalDigest();
    expect(digest.of(secret)).toBe(digest.of(secret));
    expect(digest.of(generateSecret('clientSecret'))).not.toBe(digest.of(secret));
  });

  it('is salted per instance, and never contains the secret', () => {
    const one = new ProcessLocalDigest();
    expect(new ProcessLocalDigest().of(secret)).not.toBe(one.of(secret));
    expect(one.of(secret)).not.toContain(secret);
  });
});
