import { InvalidConfigError, loadConfig } from '@keyhold/platform';
import { startKeyhold } from '../../api/src/app';

/** The worker alone: projections without the HTTP API, for deployments that split them. */
startKeyhold({ ...loadConfig(), KEYHOLD_ROLES: ['worker'] }).catch((error: Error) => {
  process.stderr.write(error instanceof InvalidConfigError ? `${error.message}\n` : `Keyhold worker failed to start: ${error.stack}\n`);
  process.exit(1);
});
