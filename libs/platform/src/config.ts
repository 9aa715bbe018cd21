import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync, ValidateIf } from 'class-validator';
import { ValidateBy, ValidationArguments } from 'class-validator';
import { HEARTBEAT_TOPIC } from '@keyhold/messaging';

const ROLES = ['api', 'worker'] as const;
export type ProcessRole = (typeof ROLES)[number];

const INTEGRATION_TOKEN_TTL_DEFAULT = 90 * 86_400;

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const MASTER_KEY_ENTRY = '[A-Za-z0-9._-]{1,64}:[A-Za-z0-9_-]{43}';
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

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Lifetime of OAuth access tokens from the client_credentials grant. */
  @Transform(({ value }) => (value === undefined ? 3600 : typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : NaN))
  @IsInt()
  @Min(60)
  @Max(86_400)
  ACCESS_TOKEN_TTL_SECONDS = 3600;

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

  /** The issuer in OAuth metadata (RFC 8414): the URL clients reach this service at. Derived from the request when unset. */
  @IsOptional()
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

  /** Where the lifecycle relay publishes its heartbeat; a separate name isolates environments sharing a broker. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: 'HEARTBEAT_TOPIC must be a Kafka topic name' })
  HEARTBEAT_TOPIC = HEARTBEAT_TOPIC;
}

export class InvalidConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigError';
  }
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): KeyholdConfig => {
  const known = Object.keys(new KeyholdConfig()).concat(['EVENTSTORE_URL', 'MONGO_URL', 'KAFKA_BROKERS', 'TOKEN_HASH_KEY', 'PUBLIC_URL']);
  const values = Object.fromEntries(known.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]));
  const config = plainToInstance(KeyholdConfig, values, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidConfigError(errors.flatMap((error) => Object.values(error.constraints ?? {})));
  }
  return config;
};

export const KEYHOLD_CONFIG = Symbol('KeyholdConfig');
