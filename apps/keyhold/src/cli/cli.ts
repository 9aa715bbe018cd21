import 'reflect-metadata';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { validateSync, IsEmail, Matches, MaxLength } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { answerFailure, ApplicationError, FailureMapping } from '@keyhold/application';
import { OPERATOR, TENANT_SLUG_PATTERN } from '@keyhold/domain';
import { InvalidConfigError, loadConfig } from '@keyhold/platform';
import { CommandsModule } from '../../../api/src/commands.module';
import { openOperatorContext } from './operator-context';
import { IsDisplayName } from '../../../api/src/http/display-text';
import { CreateTenantCommand } from '../../../api/src/users/tenancy.commands';
import { rewrapDataKeys } from './rewrap-data-keys';
import { REBUILD_USAGE, rebuildReadModels } from './rebuild-read-models';
import { VERIFY_USAGE, verifyEventChains } from './verify-event-chains';

const USAGE = `Usage: npm run cli -- bootstrap --tenant <slug> --admin <email> [--name <display name>]

  bootstrap   Create a tenant and its first admin; prints {"tenantId","userId","token"} once.
       npm run cli -- rewrap-data-keys
  rewrap-data-keys   Re-wrap every connection's data key under the master key MASTER_KEY_ID.
${REBUILD_USAGE}
${VERIFY_USAGE}`;

/**
 * A use case's failure as the command line reports it: its message on stderr and an exit code,
 * 2 for input as with a usage error, 75 (EX_TEMPFAIL) where trying again later may succeed, 1
 * for a refusal that stands.
 */
const EXIT_CODE_BY_FAILURE: FailureMapping<number> = {
  rejected: () => 1,
  invalid: () => 2,
  'not-found': () => 1,
  forbidden: () => 1,
  'stale-revision': () => 1,
  conflict: () => 75,
  'not-enforced-yet': () => 75,
  'rate-limited': () => 75,
  unavailable: () => 75,
  'outbound-refused': () => 1,
  'outbound-failed': () => 75,
};

class BootstrapArgs {
  @Matches(TENANT_SLUG_PATTERN, { message: 'tenant must be a slug: lowercase letters, digits and inner dashes, at most 63' })
  tenant!: string;

  @IsEmail({}, { message: 'admin must be an e-mail address' })
  @MaxLength(254)
  admin!: string;

  /** The tenant's display name: visible text, NFKC-normalised, like every name in the API. */
  @IsDisplayName('name', 200)
  name!: string;
}

/**
 * Commands for operators, run against the same data as the service (and safe while it runs:
 * the event store serialises writers). Log lines go to stderr; the result is the last line of
 * stdout, as JSON, for scripts.
 */
async function main(argv: string[]): Promise<number> {
  // Its own options (--projection, repeated), so it parses them itself.
  if (argv[0] === 'rebuild') return rebuildReadModels(argv.slice(1));
  if (argv[0] === 'verify') return verifyEventChains(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, admin: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (!values.help && positionals[0] === 'rewrap-data-keys') return rewrapDataKeys();
  if (values.help || positionals[0] !== 'bootstrap') {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const args = plainToInstance(BootstrapArgs, { tenant: values.tenant, admin: values.admin, name: values.name ?? values.tenant });
  const errors = validateSync(args);
  if (errors.length > 0) {
    process.stderr.write(`${errors.flatMap((e) => Object.values(e.constraints ?? {})).join('\n')}\n\n${USAGE}\n`);
    return 2;
  }

  const app = await openOperatorContext(loadConfig(), [CommandsModule]);
  try {
    const requestId = randomUUID();
    const created = await app
      .get(CommandBus)
      .execute(new CreateTenantCommand({ slug: args.tenant, name: args.name, adminEmail: args.admin, context: { actorId: 'system:cli', correlationId: requestId, causationId: requestId, caller: OPERATOR } }));
    process.stdout.write(`${JSON.stringify({ tenantId: created.tenantId, userId: created.userId, token: created.initialToken.secret })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ApplicationError) {
      process.stderr.write(`${error.message}\n`);
      return answerFailure(EXIT_CODE_BY_FAILURE, error.failure);
    }
    throw error;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(error instanceof InvalidConfigError ? `${error.message}\n` : `${error.stack}\n`);
    process.exit(1);
  },
);
