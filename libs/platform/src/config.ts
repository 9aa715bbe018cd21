import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync, ValidateIf } from 'class-validator';
import { ValidateBy, ValidationArguments } from 'class-validator';
import { HEARTBEAT_TOPIC } from '@keyhold/messaging';

const ROLES = ['api', 'worker'] as const;
export type ProcessRole = (typeof ROLES)[number];

const INTEGRATION_TOKEN_TTL_DEFAULT = 90 * 86_400;
const PEOPLE_ACCESS_TOKEN_TTL_DEFAULT = 15 * 60;

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const MASTER_KEY_ENTRY = '[A-Za-z0-9._-]{1,64}:[A-Za-z0-9_-]{43}';
const HASH_KEY_ENTRY = '[A-Za-z0-9._-]{1,64}:[A-Za-z0-9_-]{43,}';
const PROXY_ENTRY = '(loopback|linklocal|uniquelocal|[0-9A-Fa-f.:]+(/\\d{1,3})?)';
const masterKeyIds = (masterKeys: string) => masterKeys.split(',').map((entry) => entry.slice(0, entry.indexOf(':')));

/**
 * Everything the service reads from its environment, validated at start-up like any other
 * input: a typo in a variable stops the process with a message naming it, instead of a
 * default silently taking over.
 */
export class KeyholdConfig {
  // Only plain digits: Number() would read ' ' as 0 (a random port) and '0x50' as 80.
  @Transform(({ value }) => (value === undefined ? 3000 : typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /**
   * Proxies whose X-Forwarded-For is believed (Fastify's trustProxy): addresses, CIDR ranges or
   * `loopback`, `linklocal`, `uniquelocal`, comma-separated. Unset, no header is believed and a
   * client's address is the socket's: the client-authentication throttle keys on it.
   */
  @IsOptional()
  @Transform(trimmed)
  @Matches(new RegExp(`^${PROXY_ENTRY}(\\s*,\\s*${PROXY_ENTRY})*$`), {
    message: 'TRUSTED_PROXIES must be IP addresses, CIDR ranges or loopback/linklocal/uniquelocal, comma-separated',
  })
  TRUSTED_PROXIES?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  /** Which parts run in this process: the REST/OAuth API, the worker (projections), or both. */
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((role) => role.trim()) : value))
  @IsIn(ROLES, { each: true })
  KEYHOLD_ROLES: ProcessRole[] = ['api', 'worker'];

  @IsIn(['sqlite', 'eventstoredb'])
  EVENT_STORE: 'sqlite' | 'eventstoredb' = 'sqlite';

  @IsIn(['sqlite', 'mongo'])
  READ_MODELS: 'sqlite' | 'mongo' = 'sqlite';

  @IsIn(['in-process', 'kafka'])
  MESSAGE_BUS: 'in-process' | 'kafka' = 'in-process';

  @ValidateIf((config: KeyholdConfig) => config.EVENT_STORE === 'eventstoredb')
  @Matches(/^(esdb|kurrentdb|kdb)(\+discover)?:\/\//, { message: 'EVENTSTORE_URL must be an esdb:// connection string' })
  EVENTSTORE_URL?: string;

  @ValidateIf((config: KeyholdConfig) => config.READ_MODELS === 'mongo')
  @Matches(/^mongodb(\+srv)?:\/\//, { message: 'MONGO_URL must be a mongodb:// connection string' })
  MONGO_URL?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,63}$/)
  MONGO_DATABASE = 'keyhold';

  @ValidateIf((config: KeyholdConfig) => config.MESSAGE_BUS === 'kafka')
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS?: string;

  /**
   * Names the Kafka command topics (`<prefix>.commands.v1`, `<prefix>.command-results.v1`,
   * `<prefix>.commands.dead-letter.v1`) and the consumer group (`<prefix>.commands`); see docs/kafka-commands.md.
   */
  @Matches(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/, { message: 'KAFKA_COMMAND_TOPIC_PREFIX must be 1 to 100 characters of A-Z a-z 0-9 . _ -' })
  KAFKA_COMMAND_TOPIC_PREFIX = 'keyhold';

  /** base64url, at least 32 bytes; without it the embedded default keeps a generated key in DATA_DIR. */
  @IsOptional()
  @Transform(trimmed)
  @Matches(/^[A-Za-z0-9_-]{43,}$/, { message: 'TOKEN_HASH_KEY must be at least 32 bytes, base64url-encoded' })
  TOKEN_HASH_KEY?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/)
  TOKEN_HASH_KEY_ID = 'k1';

  /**
   * Hash keys retired by a rotation, `id:key` pairs (key: base64url, at least 32 bytes),
   * comma-separated: secrets stored under them still verify, new ones hash under TOKEN_HASH_KEY.
   * See "Rotating TOKEN_HASH_KEY" in the README.
   */
  @IsOptional()
  @Transform(trimmed)
  @Matches(new RegExp(`^${HASH_KEY_ENTRY}(,${HASH_KEY_ENTRY})*$`), {
    message: 'TOKEN_HASH_KEYS_PREVIOUS must be id:key pairs, comma-separated, each key at least 32 bytes base64url-encoded',
  })
  TOKEN_HASH_KEYS_PREVIOUS?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Lifetime of OAuth access tokens from the client_credentials grant. */
  @Transform(({ value }) => (value === undefined ? 3600 : typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(60)
  @Max(86_400)
  ACCESS_TOKEN_TTL_SECONDS = 3600;

  /**
   * Lifetime of people's access tokens (`kh_uat_…`, authorization code, refresh and password
   * grants): 15 minutes unless set (at least 1 s, at most 1 h). Short on purpose: rights are
   * re-read at every verification, and a client refreshes (RFC 6749 §6) to keep going.
   */
  @Transform(({ value }) => (value === undefined ? PEOPLE_ACCESS_TOKEN_TTL_DEFAULT : typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(1)
  @Max(3600)
  PEOPLE_ACCESS_TOKEN_TTL_SECONDS = PEOPLE_ACCESS_TOKEN_TTL_DEFAULT;

  /** The longest lifetime, in days, an API client's secret may be given (service-wide). */
  @Transform(({ value }) => (value === undefined ? 730 : typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(1)
  @Max(3650)
  CLIENT_SECRET_MAX_DAYS = 730;

  /**
   * Lifetime of an integration's access token from its activation or reauthorization: 90 days
   * unless set (at least 1 s, at most 365 days). A third party then comes back through a person
   * who reauthorizes, at least once a quarter, instead of holding a key that never dies.
   */
  @Transform(({ value }) => (value === undefined ? INTEGRATION_TOKEN_TTL_DEFAULT : typeof value === 'string' && /^\d{1,8}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(1)
  @Max(365 * 86_400)
  INTEGRATION_TOKEN_TTL_SECONDS = INTEGRATION_TOKEN_TTL_DEFAULT;

  /**
   * Production mode (`NODE_ENV=production`, as the Docker image sets) refuses to start the API
   * without the settings that have no safe default (PUBLIC_URL); any other value, or none, is
   * the embedded development mode.
   */
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * The issuer in OAuth metadata (RFC 8414): the URL clients reach this service at. Never taken
   * from a request's Host header, which the client chooses. Required in production mode; unset
   * elsewhere, it is the address the service listens on (http://HOST:PORT).
   */
  @ValidateIf((config: KeyholdConfig) => (config.NODE_ENV === 'production' && config.KEYHOLD_ROLES.includes('api')) || config.PUBLIC_URL !== undefined)
  @IsDefined({ message: 'PUBLIC_URL is required when NODE_ENV=production and the api role runs' })
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'PUBLIC_URL must be an http(s) URL without query or fragment' })
  PUBLIC_URL?: string;

  /** Where data keys live: `sqlite` (DATA_DIR/keys.sqlite) or `mongo` (MONGO_URL, MONGO_DATABASE). */
  @IsIn(['sqlite', 'mongo'])
  @ValidateBy({
    name: 'keyStoreServer',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        value !== 'mongo' || /^mongodb(\+srv)?:\/\//.test((args?.object as KeyholdConfig | undefined)?.MONGO_URL ?? ''),
      defaultMessage: () => 'MONGO_URL must be a mongodb:// connection string when KEY_STORE is mongo',
    },
  })
  KEY_STORE: 'sqlite' | 'mongo' = 'sqlite';

  /**
   * Master keys that wrap connections' data keys, `id:key` pairs (key: 32 bytes, base64url),
   * comma-separated: the one named by MASTER_KEY_ID wraps, every one listed unwraps, so that a
   * new key can be added, made current and re-wrapped to before the old one is dropped. Without
   * it the embedded default keeps a generated key in DATA_DIR/keys/.
   */
  @IsOptional()
  @Transform(trimmed)
  @Matches(new RegExp(`^${MASTER_KEY_ENTRY}(,${MASTER_KEY_ENTRY})*$`), {
    message: 'MASTER_KEYS must be id:key pairs, comma-separated, each key 32 bytes base64url-encoded',
  })
  @ValidateBy({
    name: 'currentMasterKey',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        if (typeof value !== 'string') return true;
        const ids = masterKeyIds(value);
        const current = (args?.object as KeyholdConfig | undefined)?.MASTER_KEY_ID;
        return new Set(ids).size === ids.length && (current === undefined ? ids.length === 1 : ids.includes(current));
      },
      defaultMessage: () => 'MASTER_KEY_ID must name one of the MASTER_KEYS (required when there are several; ids must differ)',
    },
  })
  MASTER_KEYS: string | undefined = undefined;

  /** Which master key wraps new data keys; defaults to the only one of MASTER_KEYS, or m1 for the embedded key. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'MASTER_KEY_ID must be 1 to 64 characters of A-Z a-z 0-9 . _ -' })
  MASTER_KEY_ID: string | undefined = undefined;

  /**
   * This node's name on the bus: its consumer group of the lifecycle topic is `keyhold-node-<NODE_ID>`,
   * so every node gets every message. Unset, it is `<hostname>-<pid>`: unique per running process.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'NODE_ID must be 1 to 100 characters of A-Z a-z 0-9 . _ -' })
  NODE_ID: string | undefined = undefined;

  /** How long an API node trusts its credential index without hearing from the lifecycle relay. */
  @Transform(({ value }) => (value === undefined ? 5000 : typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  REVOCATION_STALENESS_MS = 5000;

  /** What a stale node does with a credential its index accepts: confirm it in the read model, or refuse it. */
  @IsIn(['read-model', 'refuse'])
  STALE_VERIFICATION: 'read-model' | 'refuse' = 'read-model';

  /**
   * Prometheus metrics at GET /metrics: `on` (default) or `off` (404). Readable with a token
   * carrying `settings:read` (a tenant admin's), or, when METRICS_TOKEN is set, with that token only.
   */
  @IsIn(['on', 'off'])
  METRICS: 'on' | 'off' = 'on';

  /** The one bearer token a Prometheus scraper presents (at least 32 characters); admins' tokens then no longer read /metrics. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{32,512}$/, { message: 'METRICS_TOKEN must be 32 to 512 printable characters without spaces' })
  METRICS_TOKEN: string | undefined = undefined;

  /** An OTLP/HTTP collector (e.g. http://otel-collector:4318): traces are sent there; unset, there are none. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT: string | undefined = undefined;

  /** Where the lifecycle relay publishes its heartbeat; a separate name isolates environments sharing a broker. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: 'HEARTBEAT_TOPIC must be a Kafka topic name' })
  HEARTBEAT_TOPIC = HEARTBEAT_TOPIC;

  /**
   * Outbound calls (an integration's callback URL) refuse loopback, private and link-local
   * addresses, and plain http unless the integration was saved as insecure. `true` lets them
   * reach such addresses, and plain http on loopback: for tests and local walkthroughs only.
   */
  @Transform(({ value }) => (value === undefined ? false : value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'OUTBOUND_ALLOW_LOOPBACK must be true or false' })
  OUTBOUND_ALLOW_LOOPBACK = false;

  /**
   * From this instant on (ISO 8601), no new service account can be created: they are the legacy
   * way to the client-credentials grant, superseded by API clients. Existing accounts keep
   * working until their own sunset. Unset: no cut-off.
   */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'SERVICE_ACCOUNT_CREATION_CUTOFF must be an ISO 8601 instant' })
  SERVICE_ACCOUNT_CREATION_CUTOFF?: string;
}

export class InvalidConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigError';
  }
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): KeyholdConfig => {
  const known = Object.keys(new KeyholdConfig()).concat(['EVENTSTORE_URL', 'MONGO_URL', 'KAFKA_BROKERS', 'TOKEN_HASH_KEY', 'PUBLIC_URL', 'NODE_ENV', 'TRUSTED_PROXIES', 'TOKEN_HASH_KEYS_PREVIOUS', 'SERVICE_ACCOUNT_CREATION_CUTOFF']);
  const values = Object.fromEntries(known.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]));
  const config = plainToInstance(KeyholdConfig, values, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidConfigError(errors.flatMap((error) => Object.values(error.constraints ?? {})));
  }
  return config;
};

export const KEYHOLD_CONFIG = Symbol('KeyholdConfig');
