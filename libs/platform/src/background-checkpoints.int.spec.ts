import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadModelStore } from '@keyhold/read-models';
import { FileBackgroundCheckpoints } from './background-checkpoints';

describe('FileBackgroundCheckpoints', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keyhold-background-checkpoints-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const readModelsAt = (name: string) => new SqliteReadModelStore(join(dir, name));

  it('keeps the relay where it was when the read models are dropped and rebuilt', async () => {
    const readModels = readModelsAt('read-models.sqlite');
    const checkpoints = new FileBackgroundCheckpoints(join(dir, 'background-checkpoints.sqlite'), readModels);
    await checkpoints.saveCheckpoint('lifecycle-relay', '00000000000000000042');
    await checkpoints.close();
    await readModels.close();

    // The read models' file is gone: a fresh one knows no checkpoint, the relay's own file does.
    const rebuilt = readModelsAt('read-models-rebuilt.sqlite');
    const reopened = new FileBackgroundCheckpoints(join(dir, 'background-checkpoints.sqlite'), rebuilt);
    expect(await rebuilt.getCheckpoint('lifecycle-relay')).toBeNull();
    expect(await reopened.getCheckpoint('lifecycle-relay')).toBe('00000000000000000042');
    await reopened.close();
    await rebuilt.close();
  });

  it('resumes from the read models where a data dir from before kept the checkpoint, and saves in its own file from then on', async () => {
    const readModels = readModelsAt('read-models.sqlite');
    await readModels.saveCheckpoint('connection-key-shredder', '00000000000000000007');
    const checkpoints = new FileBackgroundCheckpoints(join(dir, 'background-checkpoints.sqlite'), readModels);
    expect(await checkpoints.getCheckpoint('connection-key-shredder')).toBe('00000000000000000007');
    expect(await checkpoints.getCheckpoint('lifecycle-relay')).toBeNull();

    await checkpoints.saveCheckpoint('connection-key-shredder', '00000000000000000009');
    expect(await checkpoints.getCheckpoint('connection-key-shredder')).toBe('00000000000000000009');
    expect(await readModels.getCheckpoint('connection-key-shredder')).toBe('00000000000000000007');
    await checkpoints.close();
    await readModels.close();
  });
});
