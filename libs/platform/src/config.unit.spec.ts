import { randomBytes } from 'node:crypto';
import { InvalidConfigError, KeyholdConfig, loadConfig } from './config';

const VALID_HASH_KEY = randomBytes(32).toString('base64url'); // 43 characters

/** The error loadConfig throws for this environment (fails the test if it does not throw). */
const configError = (env: NodeJS.ProcessEnv): InvalidConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
};

describe('loadConfig', () => {
  describe('defaults', () => {
    const config = loadConfig({});

    it('returns a KeyholdConfig', () => {
      expect(config).toBeInstanceOf(KeyholdConfig);
    });

    it('runs embedded: port 3000 on localhost, ./data, SQLite and the in-process bus, both roles', () => {
      expect(config).toMatchObject({
        PORT: 3000,
        HOST: '127.0.0.1',
        DATA_DIR: './data',
        KEYHOLD_ROLES: ['api', 'worker'],
        EVENT_STORE: 'sqlite',
        READ_MODELS: 'sqlite',
        MESSAGE_BUS: 'in-process',
        MONGO_DATABASE: 'keyhold',
        TOKEN_HASH_KEY_ID: 'k1',
        LOG_LEVEL: 'info',
      });
      expect(config.TOKEN_HASH_KEY).toBeUndefined();
      expect(config.MONGO_URL).toBeUndefined();
      expect(config.KAFKA_BROKERS).toBeUndefined();
      expect(config.EVENTSTORE_URL).toBeUndefined();
    });

    it('ignores variables it does not know', () => {
      expect(loadConfig({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: 'x' })).toEqual(config);
    });
  });

  describe('parsing', () => {
    it('parses PORT as a number', () => {
      expect(loadConfig({ PORT: '8080' }).PORT).toBe(8080);
      expect(loadConfig({ PORT: '0' }).PORT).toBe(0);
      expect(loadConfig({ PORT: '65535' }).PORT).toBe(65535);
    });

    it('splits KEYHOLD_ROLES on commas and trims each role', () => {
      expect(loadConfig({ KEYHOLD_ROLES: 'api' }).KEYHOLD_ROLES).toEqual(['api']);
      expect(loadConfig({ KEYHOLD_ROLES: 'worker' }).KEYHOLD_ROLES).toEqual(['worker']);
      expect(loadConfig({ KEYHOLD_ROLES: ' worker , api ' }).KEYHOLD_ROLES).toEqual(['worker', 'api']);
    });

    it('takes the server choices and their connection strings', () => {
      const config = loadConfig({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
        READ_MODELS: 'mongo',
        MONGO_URL: 'mongodb://localhost:27017',
        MONGO_DATABASE: 'keyhold_test',
        MESSAGE_BUS: 'kafka',
        KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9093',
        DATA_DIR: '/var/lib/keyhold',
        HOST: '0.0.0.0',
      });
      expect(config).toMatchObject({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
        READ_MODELS: 'mongo',
        MONGO_URL: 'mongodb://localhost:27017',
        MONGO_DATABASE: 'keyhold_test',
        MESSAGE_BUS: 'kafka',
        KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9093',
        DATA_DIR: '/var/lib/keyhold',
        HOST: '0.0.0.0',
      });
    });

    it('accepts mongodb+srv and esdb+discover connection strings', () => {
      expect(() => loadConfig({ READ_MODELS: 'mongo', MONGO_URL: 'mongodb+srv://cluster.example' })).not.toThrow();
      expect(() => loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb+discover://cluster.example:2113' })).not.toThrow();
    });

    it('accepts a 32-byte base64url TOKEN_HASH_KEY and trims whitespace around it', () => {
      expect(loadConfig({ TOKEN_HASH_KEY: VALID_HASH_KEY }).TOKEN_HASH_KEY).toBe(VALID_HASH_KEY);
      expect(loadConfig({ TOKEN_HASH_KEY: `  ${VALID_HASH_KEY}\n` }).TOKEN_HASH_KEY).toBe(VALID_HASH_KEY);
    });

    it('takes INTEGRATION_TOKEN_TTL_SECONDS in seconds, 90 days unless set, at most a year', () => {
      expect(loadConfig({}).INTEGRATION_TOKEN_TTL_SECONDS).toBe(90 * 86_400);
      expect(loadConfig({ INTEGRATION_TOKEN_TTL_SECONDS: '3600' }).INTEGRATION_TOKEN_TTL_SECONDS).toBe(3600);
      for (const bad of ['0', '31536001', '1h', ' ']) expect(() => loadConfig({ INTEGRATION_TOKEN_TTL_SECONDS: bad })).toThrow(/INTEGRATION_TOKEN_TTL_SECONDS/);
    });

    it('takes PEOPLE_ACCESS_TOKEN_TTL_SECONDS in seconds, 15 minutes unless set, at most an hour', () => {
      expect(loadConfig({}).PEOPLE_ACCESS_TOKEN_TTL_SECONDS).toBe(15 * 60);
      expect(loadConfig({ PEOPLE_ACCESS_TOKEN_TTL_SECONDS: '2' }).PEOPLE_ACCESS_TOKEN_TTL_SECONDS).toBe(2);
      for (const bad of ['0', '3601', '15m', ' ', '-5']) expect(() => loadConfig({ PEOPLE_ACCESS_TOKEN_TTL_SECONDS: bad })).toThrow(/PEOPLE_ACCESS_TOKEN_TTL_SECONDS/);
    });

    it('takes CLIENT_SECRET_MAX_DAYS in days, 730 unless set', () => {
      expect(loadConfig({}).CLIENT_SECRET_MAX_DAYS).toBe(730);
      expect(loadConfig({ CLIENT_SECRET_MAX_DAYS: '90' }).CLIENT_SECRET_MAX_DAYS).toBe(90);
    });

    it('bounds revocation staleness at 5 s and confirms in the read model while stale, unless told otherwise', () => {
      expect(loadConfig({})).toMatchObject({ REVOCATION_STALENESS_MS: 5000, STALE_VERIFICATION: 'read-model', HEARTBEAT_TOPIC: 'keyhold.heartbeat.v1' });
      expect(loadConfig({}).NODE_ID).toBeUndefined();
      expect(loadConfig({ REVOCATION_STALENESS_MS: '1500', STALE_VERIFICATION: 'refuse', NODE_ID: 'api-1' })).toMatchObject({
        REVOCATION_STALENESS_MS: 1500,
        STALE_VERIFICATION: 'refuse',
        NODE_ID: 'api-1',
      });
    });

    it('only needs a server URL when that server is chosen', () => {
      // A MONGO_URL that would be invalid is not checked while READ_MODELS is sqlite.
      expect(loadConfig({ MONGO_URL: 'not-a-url', KAFKA_BROKERS: 'nope' }).READ_MODELS).toBe('sqlite');
    });
  });

  describe('outbound calls and service accounts', () => {
    it('keeps loopback refused and no creation cut-off unless configured', () => {
      const config = loadConfig({});
      expect(config.OUTBOUND_ALLOW_LOOPBACK).toBe(false);
      expect(config.SERVICE_ACCOUNT_CREATION_CUTOFF).toBeUndefined();
    });

    it('reads the loopback allowance and the cut-off instant', () => {
      const config = loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true', SERVICE_ACCOUNT_CREATION_CUTOFF: '2024-10-01T00:00:00Z' });
      expect(config.OUTBOUND_ALLOW_LOOPBACK).toBe(true);
      expect(config.SERVICE_ACCOUNT_CREATION_CUTOFF).toBe('2024-10-01T00:00:00Z');
      expect(loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'false' }).OUTBOUND_ALLOW_LOOPBACK).toBe(false);
    });
  });

  describe('refusals name the variable', () => {
    it.each<[string, NodeJS.ProcessEnv]>([
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '80.5' }],
      ['PORT', { PORT: '-1' }],
      ['PORT', { PORT: '65536' }],
      ['EVENT_STORE', { EVENT_STORE: 'bogus' }],
      ['EVENT_STORE', { EVENT_STORE: 'SQLite' }],
      ['READ_MODELS', { READ_MODELS: 'postgres' }],
      ['MESSAGE_BUS', { MESSAGE_BUS: 'rabbitmq' }],
      ['KEYHOLD_ROLES', { KEYHOLD_ROLES: 'api,scheduler' }],
      ['KEYHOLD_ROLES', { KEYHOLD_ROLES: 'api,,worker' }],
      ['EVENTSTORE_URL', { EVENT_STORE: 'eventstoredb' }],
      ['EVENTSTORE_URL', { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'http://localhost:2113' }],
      ['MONGO_URL', { READ_MODELS: 'mongo' }],
      ['MONGO_URL', { READ_MODELS: 'mongo', MONGO_URL: 'localhost:27017' }],
      ['KAFKA_BROKERS', { MESSAGE_BUS: 'kafka' }],
      ['KAFKA_BROKERS', { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: 'localhost' }],
      ['KAFKA_BROKERS', { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: 'localhost:abc' }],
      ['KAFKA_BROKERS', { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: 'a:9092,' }],
      ['TOKEN_HASH_KEY', { TOKEN_HASH_KEY: VALID_HASH_KEY.slice(0, 42) }],
      ['TOKEN_HASH_KEY', { TOKEN_HASH_KEY: 'short' }],
      ['OUTBOUND_ALLOW_LOOPBACK', { OUTBOUND_ALLOW_LOOPBACK: 'yes' }],
      ['SERVICE_ACCOUNT_CREATION_CUTOFF', { SERVICE_ACCOUNT_CREATION_CUTOFF: 'next year' }],
      ['SERVICE_ACCOUNT_CREATION_CUTOFF', { SERVICE_ACCOUNT_CREATION_CUTOFF: '2024-13-01T00:00:00Z' }],
      ['TOKEN_HASH_KEY', { TOKEN_HASH_KEY: `${VALID_HASH_KEY.slice(0, 42)}+/` }],
      ['TOKEN_HASH_KEY', { TOKEN_HASH_KEY: '   ' }],
      ['TOKEN_HASH_KEY_ID', { TOKEN_HASH_KEY_ID: 'key id with spaces' }],
      ['MONGO_DATABASE', { MONGO_DATABASE: 'keyhold.prod' }],
      ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
      ['CLIENT_SECRET_MAX_DAYS', { CLIENT_SECRET_MAX_DAYS: '0' }],
      ['CLIENT_SECRET_MAX_DAYS', { CLIENT_SECRET_MAX_DAYS: '3651' }],
      ['CLIENT_SECRET_MAX_DAYS', { CLIENT_SECRET_MAX_DAYS: '1.5' }],
      ['CLIENT_SECRET_MAX_DAYS', { CLIENT_SECRET_MAX_DAYS: 'forever' }],
      ['NODE_ID', { NODE_ID: 'node one' }],
      ['REVOCATION_STALENESS_MS', { REVOCATION_STALENESS_MS: '100' }],
      ['REVOCATION_STALENESS_MS', { REVOCATION_STALENESS_MS: 'soon' }],
      ['STALE_VERIFICATION', { STALE_VERIFICATION: 'trust' }],
      ['HEARTBEAT_TOPIC', { HEARTBEAT_TOPIC: 'heart beat' }],
    ])('rejects a bad %s (%j)', (variable, env) => {
      const error = configError(env);
      expect(error.message).toMatch(/^Invalid configuration:/);
      expect(error.message).toContain(variable);
    });

    it('reports every problem at once, one per line', () => {
      const error = configError({ PORT: 'abc', EVENT_STORE: 'bogus', READ_MODELS: 'mongo' });
      expect(error.message).toContain('PORT');
      expect(error.message).toContain('EVENT_STORE');
      expect(error.message).toContain('MONGO_URL');
      expect(error.message.split('\n  - ').length).toBeGreaterThanOrEqual(4);
    });

    it('does not echo the value of TOKEN_HASH_KEY in its error', () => {
      const almostSecret = VALID_HASH_KEY.slice(0, 40);
      expect(configError({ TOKEN_HASH_KEY: almostSecret }).message).not.toContain(almostSecret);
    });
  });

  describe('an empty variable counts as unset', () => {
    it('falls back to the defaults', () => {
      const config = loadConfig({
        PORT: '',
        HOST: '',
        DATA_DIR: '',
        KEYHOLD_ROLES: '',
        EVENT_STORE: '',
        READ_MODELS: '',
        MESSAGE_BUS: '',
        TOKEN_HASH_KEY: '',
        TOKEN_HASH_KEY_ID: '',
        LOG_LEVEL: '',
      });
      expect(config).toEqual(loadConfig({}));
      expect(config.TOKEN_HASH_KEY).toBeUndefined();
    });

    it('an empty MONGO_URL is missing when mongo is chosen', () => {
      expect(configError({ READ_MODELS: 'mongo', MONGO_URL: '' }).message).toContain('MONGO_URL');
    });

    it('an empty KAFKA_BROKERS is missing when kafka is chosen', () => {
      expect(configError({ MESSAGE_BUS: 'kafka', KAFKA_BROKERS: '' }).message).toContain('KAFKA_BROKERS');
    });
  });

  describe('strict parsing', () => {
    it.each([' ', '0x50', '1e3', '3000abc'])('rejects the PORT %j', (port) => {
      expect(configError({ PORT: port }).message).toContain('PORT');
    });

    it.each(['a:9092;b:9092', 'kafka:9092:9093', 'http://kafka:9092'])('rejects the malformed KAFKA_BROKERS %j', (brokers) => {
      expect(configError({ MESSAGE_BUS: 'kafka', KAFKA_BROKERS: brokers }).message).toContain('KAFKA_BROKERS');
    });
  });

  describe('production mode', () => {
    it('refuses to start without PUBLIC_URL when NODE_ENV=production', () => {
      expect(configError({ NODE_ENV: 'production' }).message).toContain('PUBLIC_URL is required when NODE_ENV=production');
      expect(configError({ NODE_ENV: 'production', KEYHOLD_ROLES: 'api' }).message).toContain('PUBLIC_URL');
    });

    it('does not ask a worker alone for it: it publishes no metadata', () => {
      expect(loadConfig({ NODE_ENV: 'production', KEYHOLD_ROLES: 'worker' }).PUBLIC_URL).toBeUndefined();
    });

    it('starts with it, and keeps it as the issuer', () => {
      expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://keys.example.com' }).PUBLIC_URL).toBe('https://keys.example.com');
    });

    it('leaves PUBLIC_URL optional in the embedded mode (the listening address is the default)', () => {
      expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
      expect(loadConfig({ NODE_ENV: 'development' }).PUBLIC_URL).toBeUndefined();
    });
  });

  describe('TRUSTED_PROXIES', () => {
    it.each(['127.0.0.1', '10.0.0.0/8, 192.168.1.2', 'loopback,::1,fd00::/8'])('accepts %j', (proxies) => {
      expect(loadConfig({ TRUSTED_PROXIES: proxies }).TRUSTED_PROXIES).toBe(proxies);
    });

    it.each(['*', 'true', 'proxy.example.com', '10.0.0.0/8;10.1.0.0/16'])('rejects %j', (proxies) => {
      expect(configError({ TRUSTED_PROXIES: proxies }).message).toContain('TRUSTED_PROXIES');
    });
  });

  describe('TOKEN_HASH_KEYS_PREVIOUS', () => {
    it('accepts id:key pairs', () => {
      const previous = `k1:${VALID_HASH_KEY},k0:${randomBytes(48).toString('base64url')}`;
      expect(loadConfig({ TOKEN_HASH_KEYS_PREVIOUS: previous }).TOKEN_HASH_KEYS_PREVIOUS).toBe(previous);
    });

    it.each(['k1', `k1:${VALID_HASH_KEY.slice(0, 20)}`, `:${VALID_HASH_KEY}`, `k1:${VALID_HASH_KEY};k2:${VALID_HASH_KEY}`])('rejects %j', (previous) => {
      expect(configError({ TOKEN_HASH_KEYS_PREVIOUS: previous }).message).toContain('TOKEN_HASH_KEYS_PREVIOUS');
    });
  });
});
