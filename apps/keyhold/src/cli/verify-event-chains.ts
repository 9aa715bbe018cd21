import { plainToInstance } from 'class-transformer';
import { IsOptional, Matches, MaxLength, validateSync } from 'class-validator';
import { parseArgs } from 'node:util';
import { EVENT_STORE, EventStore, verifyEventLog } from '@keyhold/event-store';
import { loadConfig } from '@keyhold/platform';
import { openOperatorContext } from './operator-context';

export const VERIFY_USAGE = `       npm run cli -- verify [--stream <name>]
  verify   Check every event's hash chain link (or one stream's); prints
           {"events","streams","unchained","ok","firstBrokenLink"}; exits 1 if a link is broken.`;

const PROGRESS_EVERY_MS = 2000;

class VerifyArgs {
  @IsOptional()
  @MaxLength(300)
  @Matches(/^[A-Za-z]+-\S+$/, { message: 'stream must be a stream name: category-id, such as personalTokens-<uuid>' })
  stream?: string;
}

/** Where the command writes: the process's streams, or a test's. */
export type CliOutput = { readonly stdout: { write(text: string): unknown }; readonly stderr: { write(text: string): unknown } };

/**
 * Tamper evidence, the auditor's half: reads the whole log as stored and checks each event's
 * hash and its link to the previous event of its stream. Events written before chaining are
 * counted as `unchained`, not as broken. Read-only, so safe while the service runs; it checks
 * the log up to where it was when each page was read. Progress goes to stderr, the result is
 * the last line of stdout. Exit codes: 0 intact, 1 broken, 2 bad usage.
 */
export const verifyEventChains = async (argv: string[], env: NodeJS.ProcessEnv = process.env, output: CliOutput = process): Promise<number> => {
  const { values } = parseArgs({ args: argv, options: { stream: { type: 'string' } }, strict: false });
  const args = plainToInstance(VerifyArgs, values);
  const problems = validateSync(args, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) => Object.values(e.constraints ?? {}));
  if (problems.length > 0) {
    output.stderr.write(`${problems.join('\n')}\n\nUsage:\n${VERIFY_USAGE}\n`);
    return 2;
  }

  const app = await openOperatorContext(loadConfig(env));
  try {
    let lastProgressAt = performance.now();
    const verification = await verifyEventLog(app.get<EventStore>(EVENT_STORE), {
      stream: args.stream,
      onProgress: (events) => {
        if (performance.now() - lastProgressAt < PROGRESS_EVERY_MS) return;
        lastProgressAt = performance.now();
        output.stderr.write(`verify: ${events} events checked\n`);
      },
    });
    const { firstBrokenLink } = verification;
    output.stderr.write(
      firstBrokenLink
        ? `verify: broken at ${firstBrokenLink.streamName}@${firstBrokenLink.streamRevision}: ${firstBrokenLink.problem}\n`
        : `verify: ${verification.events} events in ${verification.streams} streams intact (${verification.unchained} unchained, written before chaining)\n`,
    );
    output.stdout.write(`${JSON.stringify(verification)}\n`);
    return verification.ok ? 0 : 1;
  } finally {
    await app.close();
  }
};
