import { InvalidConfigError, loadConfig } from '@keyhold/platform';
import { startKeyhold } from './app';

startKeyhold(loadConfig()).catch((error: Error) => {
  process.stderr.write(error instanceof InvalidConfigError ? `${error.message}\n` : `Keyhold failed to start: ${error.stack}\n`);
  process.exit(1);
});
