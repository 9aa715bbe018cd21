import { DataKeyService } from '@keyhold/key-store';
import { loadConfig } from '@keyhold/platform';
import { openOperatorContext } from './operator-context';

/**
 * Master key rotation, the operator's half: with the new key in MASTER_KEYS and named by
 * MASTER_KEY_ID (the old one still listed), re-wraps every data key under the new key. No event
 * is touched: events name data keys, never master keys. Once it reports no failure, the old
 * master key can be dropped from MASTER_KEYS. Safe to run while the service runs, and again.
 * Prints {"masterKeyId","rewrapped","failed"} as the last line; exits 1 if any key failed.
 */
export const rewrapDataKeys = async (): Promise<number> => {
  const app = await openOperatorContext(loadConfig());
  try {
    const report = await app.get(DataKeyService).rewrapAll();
    for (const failure of report.failed) process.stderr.write(`${failure.ownerId}: ${failure.reason}\n`);
    process.stdout.write(`${JSON.stringify({ masterKeyId: report.masterKeyId, rewrapped: report.rewrapped, failed: report.failed.length })}\n`);
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    await app.close();
  }
};
