import { InvalidConfigError, loadConfig } from '@keyhold/platform';
import { startKeyhold } from './keyhold';
import { scavengeWithoutHelperThreads } from './scavenges';

/**
 * `node main.js` runs the roles KEYHOLD_ROLES names (both by default); `node main.js worker`
 * (or `api`) runs that role alone, for deployments that split them. The argument is validated
 * like the variable it stands for.
 */
const role = process.argv[2];
scavengeWithoutHelperThreads();
try {
  startKeyhold(loadConfig(role ? { ...process.env, KEYHOLD_ROLES: role } : process.env)).catch(fail);
} catch (error) {
  fail(error as Error);
}

function fail(error: Error): never {
  process.stderr.write(error instanceof InvalidConfigError ? `${error.message}\n` : `Keyhold failed to start: ${error.stack}\n`);
  process.exit(1);
}
