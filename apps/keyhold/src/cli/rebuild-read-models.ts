import { plainToInstance } from 'class-transformer';
import { ArrayUnique, IsBoolean, IsOptional, IsString, Matches, validateSync } from 'class-validator';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { EVENT_STORE, EventStore, GlobalPosition } from '@keyhold/event-store';
import { loadConfig } from '@keyhold/platform';
import { openOperatorContext } from './operator-context';
import {
  GENERATION_REFRESH_MS,
  lowerThisProcessPriority,
  projectionNameOf,
  READ_MODEL_PROJECTIONS,
  ReadModelGenerations,
  ReadModelRebuild,
  RebuildLockedError,
  RebuildProgress,
} from '@keyhold/read-models';

export const REBUILD_USAGE = `       npm run cli -- rebuild --all | --projection <name> [--projection <name> ...]
  rebuild   Replay the log into fresh read models and switch over once caught up; prints
            {"projections","events","seconds","eventsPerSecond","generation"}.`;

/** Every process re-reads the generation pointers this often; after a few rounds none reads the old generation. */
const SWITCH_GRACE_MS = 3 * GENERATION_REFRESH_MS;
const LINE_EVERY_MS = 2000;
const BAR_WIDTH = 30;

class RebuildArgs {
  @IsBoolean()
  all!: boolean;

  @IsOptional()
  @ArrayUnique({ message: 'each projection may be named once' })
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9-]*$/, { each: true, message: 'projection names are lowercase words joined by dashes' })
  projection?: string[];
}

/**
 * How far through the log a position is. Both event-store adapters encode positions as
 * fixed-width digits that grow along the log (SQLite: the sequence; EventStoreDB: the commit
 * position first), so their leading number measures progress, if not always in events.
 */
const fractionOf = (position: GlobalPosition | null, head: GlobalPosition | null): number => {
  const lead = (p: GlobalPosition | null) => (p === null ? 0 : Number(/^\d+/.exec(p)?.[0] ?? 0));
  const total = lead(head);
  return total === 0 ? 1 : Math.min(1, lead(position) / total);
};

const formatSeconds = (seconds: number) =>
  !Number.isFinite(seconds) ? '?' : seconds < 60 ? `${Math.ceil(seconds)}s` : `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;

/** A bar redrawn in place on a terminal; a line every few seconds in a log. */
const progressOnStderr = (started: number) => {
  const tty = process.stderr.isTTY === true;
  let lastLineAt = 0;
  return (progress: RebuildProgress) => {
    const now = performance.now();
    if (!tty && now - lastLineAt < LINE_EVERY_MS) return;
    lastLineAt = now;
    const fraction = fractionOf(progress.position, progress.head);
    const elapsed = (now - started) / 1000;
    const rate = progress.events / Math.max(elapsed, 1e-3);
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Infinity;
    const text = `${progress.events} events, ${(fraction * 100).toFixed(1)}% of the log, ${Math.round(rate)} events/s, ETA ${formatSeconds(eta)}`;
    if (!tty) return void process.stderr.write(`rebuild: ${text}\n`);
    const filled = Math.round(fraction * BAR_WIDTH);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text}\x1b[K`);
  };
};

/**
 * Rebuilds read models from the start of the log into a new generation, with the worker's own
 * projection code, while the service keeps running; switches readers and the worker over once
 * it has caught up with the live head, then empties the generation it replaced (after every
 * process has had time to see the switch). Exit codes: 0 done, 1 refused or failed, 2 bad usage.
 */
export const rebuildReadModels = async (argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { all: { type: 'boolean', default: false }, projection: { type: 'string', multiple: true } },
    strict: false,
    allowPositionals: true,
  });
  const args = plainToInstance(RebuildArgs, values);
  const problems = validateSync(args, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));
  if (positionals.length > 0) problems.push(`unexpected argument ${positionals.join(' ')}`);
  if (args.all === (args.projection !== undefined && args.projection.length > 0)) problems.push('name either --all or at least one --projection');
  const known = new Map(READ_MODEL_PROJECTIONS.map((build) => [projectionNameOf(build), build]));
  const unknown = (args.projection ?? []).filter((name) => !known.has(name));
  if (unknown.length > 0) problems.push(`unknown projection ${unknown.join(', ')}; known: ${[...known.keys()].join(', ')}`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n\nUsage:\n${REBUILD_USAGE}\n`);
    return 2;
  }
  const chosen = args.all ? [...known.values()] : args.projection!.map((name) => known.get(name)!);

  // Background work beside a serving node on the same cores: the node's threads get them first.
  lowerThisProcessPriority();
  const app = await openOperatorContext(loadConfig(env));
  try {
    const started = performance.now();
    let rebuild: ReadModelRebuild;
    try {
      rebuild = await ReadModelRebuild.start(app.get<EventStore>(EVENT_STORE), app.get(ReadModelGenerations), chosen, `${hostname()}:${process.pid}`);
    } catch (error) {
      if (!(error instanceof RebuildLockedError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    let previous;
    try {
      await rebuild.catchUp(progressOnStderr(started));
      previous = await rebuild.switchOver();
    } catch (error) {
      await rebuild.abandon();
      throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    if (process.stderr.isTTY) process.stderr.write('\n');
    await sleep(SWITCH_GRACE_MS);
    await rebuild.clearPrevious(previous);
    const result = {
      projections: rebuild.projections,
      events: rebuild.events,
      seconds: Number(seconds.toFixed(3)),
      eventsPerSecond: Math.round(rebuild.events / Math.max(seconds, 1e-3)),
      generation: rebuild.generation,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await app.close();
  }
};
