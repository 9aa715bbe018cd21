import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@keyhold/event-store';
import { ProjectionLogger, ProjectionRunner, projectionNameOf, READ_MODEL_PROJECTIONS, ReadModelGenerations, SqliteReadModelStore } from '@keyhold/read-models';
import { CatchingUp } from '../read-model-catch-up';

/**
 * An embedded log and read models in files of their own, with a runner here for every read-model
 * projection on generation 0: what a worker thread opens connections of its own to.
 */
export const embeddedReadModels = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-embedded-read-models-'));
  const files = { eventLogFile: join(dir, 'events.sqlite'), readModelsFile: join(dir, 'read-models.sqlite') };
  const log = new SqliteEventStore(files.eventLogFile);
  const generations = await ReadModelGenerations.open(new SqliteReadModelStore(files.readModelsFile), { refreshMs: 60_000 });
  const errors: string[] = [];
  const logger: ProjectionLogger = { error: (message) => void errors.push(message) };
  const projections: CatchingUp[] = READ_MODEL_PROJECTIONS.map((build) => ({
    name: projectionNameOf(build),
    generation: 0,
    runner: new ProjectionRunner(log, generations.at(0), generations.bind(build, 0).projection, logger),
  }));
  const close = async () => {
    await Promise.all(projections.map(({ runner }) => runner.stop()));
    await generations.close();
    await log.close();
  };
  return { files, log, generations, errors, logger, projections, close };
};
