import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE, EventStore, EventStoreDbEventStore, SqliteEventStore } from '@keyhold/event-store';
import { InProcessMessageBus, KafkaMessageBus, MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { MongoReadModelStore, READ_MODEL_STORE, ReadModelGenerations, ReadModelStore, SqliteReadModelStore } from '@keyhold/read-models';
import { DataKeyService, KEY_STORE, KeyStore, MongoKeyStore, SqliteKeyStore } from '@keyhold/key-store';
import { KEYHOLD_CONFIG, KeyholdConfig } from './config';
import { privateDataFile } from './data-dir';
import { loadHashKey, loadPreviousHashKeys } from './hash-keys';
import { loadMasterKeyRing } from './master-keys';
import { createRootLogger, ROOT_LOGGER } from './logger';
import { ProjectionsService } from './projections.service';
import { BACKGROUND_CHECKPOINTS, BackgroundCheckpoints, checkpointsBeside, FileBackgroundCheckpoints } from './background-checkpoints';
import { InProcessCatchUp, READ_MODEL_CATCH_UP } from './read-model-catch-up';
import { WorkerThreadCatchUp } from './worker-thread-catch-up';
import { InProcessLive, READ_MODELS_LIVE } from './read-models-live';
import { WorkerThreadLive } from './worker-thread-live';
import { EventLogMetrics, KeyholdMetrics } from './metrics';
import { Tracing } from './tracing';

/**
 * A server adapter is only handed out once it has answered, so that a wrong address stops the
 * process at start-up with a message naming the dependency, instead of failing the first request.
 */
const reachable = async <T extends { ping(): Promise<void>; close(): Promise<void> }>(name: string, open: () => Promise<T> | T): Promise<T> => {
  let adapter: T | undefined;
  try {
    adapter = await open();
    await adapter.ping();
    return adapter;
  } catch (error) {
    await adapter?.close().catch(() => undefined);
    const message = (error as Error).message;
    throw new Error(message.includes(name) ? message : `${name} is unreachable: ${message}`);
  }
};

const openEventStore = async (config: KeyholdConfig): Promise<EventStore> => {
  switch (config.EVENT_STORE) {
    case 'sqlite':
      return new SqliteEventStore(privateDataFile(config, 'events.sqlite'));
    case 'eventstoredb':
      return reachable('EventStoreDB', () => EventStoreDbEventStore.fromConnectionString(config.EVENTSTORE_URL!));
  }
};

const openReadModelStore = async (config: KeyholdConfig): Promise<ReadModelStore> => {
  switch (config.READ_MODELS) {
    case 'sqlite':
      // This is the thread that answers requests: while another process (a rebuild) or the
      // catch-up thread holds the write lock, its writes wait asynchronously, not in SQLite.
      return new SqliteReadModelStore(privateDataFile(config, 'read-models.sqlite'), { blockOnLockMs: 0 });
    case 'mongo':
      return reachable('MongoDB', () => MongoReadModelStore.connect(config.MONGO_URL!, config.MONGO_DATABASE));
  }
};

const openMessageBus = async (config: KeyholdConfig, logger: Logger): Promise<MessageBus> => {
  switch (config.MESSAGE_BUS) {
    case 'in-process':
      return new InProcessMessageBus();
    case 'kafka':
      return reachable('Kafka', () =>
        KafkaMessageBus.connect({ brokers: config.KAFKA_BROKERS!.split(','), clientId: 'keyhold', logger: logger.child({ component: 'kafka' }) }),
      );
  }
};

/** Data keys live apart from the event log (which cannot forget) and from the read models (which are rebuilt). */
const openKeyStore = async (config: KeyholdConfig): Promise<KeyStore> => {
  switch (config.KEY_STORE) {
    case 'sqlite':
      return new SqliteKeyStore(privateDataFile(config, 'keys.sqlite'));
    case 'mongo':
      return reachable('MongoDB', () => MongoKeyStore.connect(config.MONGO_URL!, config.MONGO_DATABASE));
  }
};

const embeddedFiles = (config: KeyholdConfig) => ({
  eventLogFile: privateDataFile(config, 'events.sqlite'),
  readModelsFile: privateDataFile(config, 'read-models.sqlite'),
});

/**
 * A worker thread can open the embedded stores on its own (their files); MongoDB and EventStoreDB
 * are caught up in the process, where they mostly wait on the network.
 */
const readModelCatchUp = (config: KeyholdConfig, events: EventStore, generations: ReadModelGenerations) => {
  const here = new InProcessCatchUp(events, generations);
  if (config.EVENT_STORE !== 'sqlite' || config.READ_MODELS !== 'sqlite') return here;
  return new WorkerThreadCatchUp(embeddedFiles(config), events, here);
};

/** The same for keeping them live afterwards: a thread for the embedded stores, the serving thread otherwise. */
const readModelsLive = (config: KeyholdConfig, events: EventStore, generations: ReadModelGenerations) => {
  const here = new InProcessLive(events, generations);
  if (!(events instanceof SqliteEventStore) || config.READ_MODELS !== 'sqlite') return here;
  return new WorkerThreadLive(embeddedFiles(config), events, here);
};

const openBackgroundCheckpoints = (config: KeyholdConfig, readModels: ReadModelStore): BackgroundCheckpoints =>
  config.READ_MODELS === 'sqlite'
    ? new FileBackgroundCheckpoints(privateDataFile(config, 'background-checkpoints.sqlite'), readModels)
    : checkpointsBeside(readModels);

/**
 * Closes what the module opened once the application has stopped taking work: projections
 * first (saving their checkpoints), then the stores they write to.
 */
class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly projections: ProjectionsService,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(BACKGROUND_CHECKPOINTS) private readonly backgroundCheckpoints: BackgroundCheckpoints,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.projections.stopAll();
    await this.bus.close();
    await this.readModels.close();
    await this.backgroundCheckpoints.close();
    await this.keys.close();
    await this.events.close();
    this.logger.flush();
  }
}

/** The ports' adapters, chosen by configuration; every other module injects the ports only. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: KeyholdConfig, logger: Logger = createRootLogger(config.LOG_LEVEL)): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: KEYHOLD_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: SecretHasher, useFactory: () => new SecretHasher(loadHashKey(config), loadPreviousHashKeys(config)) },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config) },
        {
          provide: ReadModelGenerations,
          useFactory: async () =>
            ReadModelGenerations.open(await openReadModelStore(config), {
              onRefreshError: (error) => logger.warn({ error: error.message }, 'Could not re-read the read-model generations; keeping the last known'),
            }),
        },
        // Readers get the generation-resolving view; closing it closes the store under it.
        { provide: READ_MODEL_STORE, useFactory: (generations: ReadModelGenerations) => generations.live, inject: [ReadModelGenerations] },
        { provide: BACKGROUND_CHECKPOINTS, useFactory: openBackgroundCheckpoints.bind(null, config), inject: [READ_MODEL_STORE] },
        { provide: MESSAGE_BUS, useFactory: () => openMessageBus(config, logger) },
        { provide: KEY_STORE, useFactory: () => openKeyStore(config) },
        { provide: DataKeyService, useFactory: (keys: KeyStore) => new DataKeyService(keys, loadMasterKeyRing(config)), inject: [KEY_STORE] },
        { provide: READ_MODEL_CATCH_UP, useFactory: readModelCatchUp.bind(null, config), inject: [EVENT_STORE, ReadModelGenerations] },
        { provide: READ_MODELS_LIVE, useFactory: readModelsLive.bind(null, config), inject: [EVENT_STORE, ReadModelGenerations] },
        ProjectionsService,
        KeyholdMetrics,
        EventLogMetrics,
        Tracing,
        InfrastructureLifecycle,
      ],
      exports: [KEYHOLD_CONFIG, ROOT_LOGGER, SecretHasher, EVENT_STORE, READ_MODEL_STORE, ReadModelGenerations, MESSAGE_BUS, ProjectionsService, KeyholdMetrics, KEY_STORE, DataKeyService, BACKGROUND_CHECKPOINTS],
    };
  }
}
