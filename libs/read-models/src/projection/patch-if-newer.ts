import { ReadModelCollection, ReadModelDocument } from '../read-model-store.port';

/**
 * Changes an existing document, guarded by version like putIfNewer. An event about a document
 * that was never created changes nothing: its creation event has not been projected, or was
 * not one this view keeps.
 */
export const patchIfNewer = async <T extends ReadModelDocument>(
  collection: ReadModelCollection<T>,
  id: string,
  version: string,
  change: (doc: T) => Partial<T>,
): Promise<void> => {
  const doc = await collection.get(id);
  if (doc) await collection.putIfNewer({ ...doc, ...change(doc) }, version);
};
