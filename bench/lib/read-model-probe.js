'use strict';
/**
 * Workload 4's look straight into the read models: is a token's document there yet? It asks the
 * store the worker writes to (the data dir's SQLite file, or the MongoDB database), from the
 * bench's own process, so that what it times is the projection's lag alone. Through the API, a
 * GET under the command load also waits its turn behind 50 connections of commands: the probe
 * keeps that figure too, as what a client sees, but it is the API node's queue, not the worker.
 *
 * The read models are named by generation (`tokens`, then `tokens__g<n>` after a rebuild); the
 * pointers document says which one is current, and the probe follows it as the service does.
 * That naming is the adapters' (`libs/read-models`: `generationName`, the `rm_` tables and
 * collections), written again here on purpose: the project's SqliteReadModelStore opens a write
 * connection and a checkpointer thread, which the measuring process must not add to the system
 * it measures. A change to that naming must change this probe too.
 */
const { join } = require('node:path');

const GENERATIONS = 'read_model_generations';
const POINTERS_ID = 'pointers';
const PROJECTION = 'tokens';
const COLLECTION = 'tokens';

const collectionOf = (pointers) => {
  const generation = pointers?.projections?.[PROJECTION]?.generation ?? 0;
  return generation === 0 ? COLLECTION : `${COLLECTION}__g${generation}`;
};

/** A probe of the embedded read models: a read-only connection of its own (WAL readers never block the writer). */
const sqliteProbe = (dataDir) => {
  const Database = require('better-sqlite3');
  const db = new Database(join(dataDir, 'read-models.sqlite'), { readonly: true, fileMustExist: true });
  const pointers = () => {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(`rm_${GENERATIONS}`);
    const row = hasMeta ? db.prepare(`SELECT doc FROM rm_${GENERATIONS} WHERE id = ?`).get(POINTERS_ID) : undefined;
    return row ? JSON.parse(row.doc) : null;
  };
  const present = db.prepare(`SELECT 1 AS found FROM rm_${collectionOf(pointers())} WHERE id = ?`);
  return { has: async (id) => present.get(id) !== undefined, close: async () => db.close() };
};

/** A probe of the read models in MongoDB, on a client of its own. */
const mongoProbe = async (mongoUrl, database) => {
  const { MongoClient } = require('mongodb');
  const client = await MongoClient.connect(mongoUrl, { maxPoolSize: 1 });
  const db = client.db(database);
  const pointers = await db.collection(`rm_${GENERATIONS}`).findOne({ _id: POINTERS_ID });
  const tokens = db.collection(`rm_${collectionOf(pointers?.doc)}`);
  return { has: async (id) => (await tokens.findOne({ _id: id }, { projection: { _id: 1 } })) !== null, close: () => client.close() };
};

/** The probe for a data set's configuration (`options` as workloads pass them to a node). */
const readModelProbe = (options) =>
  options.mode === 'kafka-mongo' ? mongoProbe(options.servers.mongoUrl, options.mongoDatabase) : Promise.resolve(sqliteProbe(options.dataDir));

module.exports = { readModelProbe };
