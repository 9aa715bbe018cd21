import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig } from './config';
import { loadMasterKeyRing } from './master-keys';

const key = () => randomBytes(32).toString('base64url');

const configError = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
};

describe('master keys and key store configuration', () => {
  it('defaults to the embedded key store and a generated master key kept in DATA_DIR/keys', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-mk-'));
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.KEY_STORE).toBe('sqlite');
    expect(config.MASTER_KEYS).toBeUndefined();
    const ring = loadMasterKeyRing(config);
    expect(ring.currentId).toBe('m1');
    const file = join(dataDir, 'keys', 'master-key.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The same key on the next start: a new one would orphan every stored data key.
    const wrapped = ring.wrap('owner', 'dk', randomBytes(32));
    expect(() => loadMasterKeyRing(config).unwrap('owner', 'dk', wrapped.wrappedKey, 'm1')).not.toThrow();
    expect(JSON.parse(readFileSync(file, 'utf8')).id).toBe('m1');
  });

  it('takes master keys from MASTER_KEYS, the current one named by MASTER_KEY_ID', () => {
    const [k1, k2] = [key(), key()];
    const ring = loadMasterKeyRing(loadConfig({ MASTER_KEYS: `k1:${k1},k2:${k2}`, MASTER_KEY_ID: 'k2' }));
    expect(ring.currentId).toBe('k2');
    expect(ring.ids.sort()).toEqual(['k1', 'k2']);
    expect(loadMasterKeyRing(loadConfig({ MASTER_KEYS: `only:${k1}` })).currentId).toBe('only');
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['MASTER_KEYS', { MASTER_KEYS: 'k1:short' }],
    ['MASTER_KEYS', { MASTER_KEYS: key() }],
    ['MASTER_KEYS', { MASTER_KEYS: `k1:${key()};k2:${key()}` }],
    ['MASTER_KEY_ID', { MASTER_KEYS: `k1:${key()},k2:${key()}` }],
    ['MASTER_KEY_ID', { MASTER_KEYS: `k1:${key()}`, MASTER_KEY_ID: 'k9' }],
    ['MASTER_KEY_ID', { MASTER_KEYS: `k1:${key()},k1:${key()}`, MASTER_KEY_ID: 'k1' }],
    ['MASTER_KEY_ID', { MASTER_KEY_ID: 'has spaces' }],
    ['KEY_STORE', { KEY_STORE: 'vault' }],
    ['MONGO_URL', { KEY_STORE: 'mongo' }],
  ])('refuses a bad %s (%j) without echoing any key', (variable, env) => {
    const message = configError(env);
    expect(message).toContain(variable);
    for (const value of Object.values(env)) if (value && value.length > 20) expect(message).not.toContain(value.slice(-20));
  });

  it('accepts the MongoDB key store with a MongoDB URL', () => {
    expect(loadConfig({ KEY_STORE: 'mongo', MONGO_URL: 'mongodb://localhost:27017' }).KEY_STORE).toBe('mongo');
  });
});
