'use strict';
/** The Markdown report of one run: the goals met or not, every figure as a median with its spread, and the ratios of the same run. */
const { CATCH_UP_CAUSES, formatCheck } = require('./goals');

const num = (v, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const ms = (v) => (typeof v === 'number' ? (v < 10 ? num(v, 2) : num(v, 1)) : '–');
const spread = (s, digits = 0, f = (v) => num(v, digits)) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '–');
const ratio = (s) => (s ? `${num(s.median, 3)} (${num(s.min, 3)}–${num(s.max, 3)})` : '–');
const mb = (bytes) => (typeof bytes === 'number' ? `${num(bytes / 2 ** 20)} MiB` : '–');

const generatorLine = (g) =>
  g?.used === 'wrk'
    ? 'wrk (C, one thread, a Lua script rotating the bodies and credentials) in a process of its own'
    : 'autocannon in a process of its own';

const unavailableRow = (label, reason, columns) => `| ${label} | ${reason} |${' |'.repeat(columns - 2)}`;

const renderReport = (results, chartFile) => {
  const c = results.config;
  const m = results.machine;
  const lines = [];
  const p = (...xs) => lines.push(...xs);
  p(
    `# Keyhold benchmark: ${results.mode} run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Source: ${results.source.ref} at \`${results.source.commit?.slice(0, 12) ?? 'unknown'}\`${results.source.dirty ? ' with uncommitted changes in apps/ or libs/' : ''}. ` +
      `Machine: ${m.cpus} cores (${m.cpuModel}), ${num(m.memoryBytes / 2 ** 30, 1)} GiB, Linux ${m.kernel}, Node ${m.node}; ` +
      `load average ${m.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')} at the start, ${m.loadAverageAtEnd?.map((v) => v.toFixed(2)).join(' ')} at the end. Run took ${num(results.durationMinutes, 1)} min.`,
    '',
    `Load: ${generatorLine(results.loadGenerator)}, closed loop, ${c.connections} connections, pipelining 1, ${c.durationSeconds} s per measurement ` +
      `(${c.commandSeconds} s for commands) after a ${c.warmupSeconds} s warm-up per target, ${c.reps} repetitions with the targets' order rotated. ` +
      `**The server under test and the load generator share the same ${m.cpus} cores**, so every figure is what the machine does with both; ` +
      'compare the ratios, measured repetition by repetition in the same sitting, rather than the absolute numbers. ' +
      'Figures are medians with min–max over the repetitions. Latencies are measured per request at full resolution; only 2xx answers count, ' +
      'and one answer in 50 is parsed and must be right (`active: true`, an `access_token`, a new token), else that repetition counts as no throughput.',
    '',
    `This ${results.mode} run: ${c.reps} repetitions of ${c.durationSeconds} s per target${results.mode === 'full' ? ' (the full run had 5 repetitions of 15 s before issue 18; fewer and shorter now, so that it fits in about 35 minutes)' : ''}; ` +
      `catch-up windows of ${c.catchUpWindowSeconds} s; commands with ${c.commandConnections} connections.`,
    '',
    `![throughput and latency](${chartFile})`,
    '',
  );
  if (results.goals) {
    p(
      '## Goals (issue 18), computed from the figures below',
      '',
      '| workload | measure | figure | goal | met? | detail |',
      '|---|---|---|---|---|---|',
      ...results.goals.map((g) => {
        const checks = g.checks.map((x) => formatCheck(x));
        const met = g.met === true ? 'yes' : g.met === false ? '**no**' : 'not measured';
        return `| ${g.workload} | ${g.measure} | ${checks.map((x) => x.figure).join('; ')} | ${checks.map((x) => x.goal).join('; ')} | ${met} | ${g.detail} |`;
      }),
      '',
      `${results.goals.filter((g) => g.met === true).length} of ${results.goals.length} met, ${results.goals.filter((g) => g.met === false).length} missed, ${results.goals.filter((g) => g.met === null).length} not measured in this run.`,
      '',
    );
  }
  if (results.loadGenerator) {
    const g = results.loadGenerator;
    p(
      '## The load generator\'s ceiling',
      '',
      `The bare server under the introspection plan, loaded by each generator in turn (${c.reps} repetitions, alternating): ` +
        Object.entries(g.requestsPerSecond).map(([name, s]) => `${name} ${spread(s)} req/s`).join('; ') +
        `. Every target below was loaded with **${g.used}**; a generator reading far below another against the same server was its own bottleneck.`,
      '',
      '',
    );
  }

  // Workload 1.
  p('## 1. Verification: `POST /oauth/introspect`', '');
  p(
    'Keyhold verifies a personal token from its in-memory credential index (loaded from the log at start); the caller authenticates with an admin token (`tokens:introspect`). ' +
      'Each request carries one of 10,000 seeded tokens, drawn uniformly from all those stored. ' +
      `Keycloak${results.peer ? ` ${results.peer.version}` : ''} introspects its own signed JWT access tokens (200 of them, from client_credentials), authenticating the confidential client on every call; it stores no token, so the number of Keyhold tokens does not apply to it. ` +
      'The limit answers the same requests with a fixed JSON body.',
    '',
  );
  for (const [tokens, sitting] of Object.entries(results.workloads.introspection ?? {})) {
    p(`### ${num(Number(tokens))} active tokens stored`, '', '| target | req/s | p50 ms | p99 ms | p99.9 ms |', '|---|---|---|---|---|');
    for (const [name, t] of Object.entries(sitting.targets)) {
      if (t.unavailable) p(unavailableRow(name, t.unavailable, 5));
      else
        p(`| ${t.label} | ${spread(t.requestsPerSecond)} | ${spread(t.latencyMs.p50, 2, ms)} | ${spread(t.latencyMs.p99, 2, ms)} | ${spread(t.latencyMs.p99_9, 2, ms)} |`);
      if (t.invalidRuns?.length) p(`|  ↳ ${t.invalidRuns.length} repetition(s) had errors or wrong answers: ${JSON.stringify(t.invalidRuns.map((r) => r.example ?? r.statusCodes)).slice(0, 200)} | | | | |`);
    }
    const r = sitting.ratios;
    p(
      '',
      `Ratios in this sitting (median, min–max over repetitions): Keyhold embedded / limit **${ratio(r.embeddedToLimit)}**; ` +
        `Keyhold API node / limit ${ratio(r.apiToLimit)}; p99 / the limit's p99: one process ${ratio(r.embeddedP99ToLimit)}, API node ${ratio(r.apiP99ToLimit)}; ` +
        `Keyhold embedded / Keycloak **${ratio(r.embeddedToKeycloak)}**; Keyhold API node / Keycloak ${ratio(r.apiToKeycloak)}; Keycloak p99 / Keyhold embedded p99 ${ratio(r.keycloakToEmbeddedP99)}.`,
      '',
    );
  }

  // Workload 2.
  p('## 2. `client_credentials` token issuance: `POST /oauth/token`', '');
  p(
    'Client authentication with client_secret_basic on every request, one confidential client (Keycloak) / service account (Keyhold, created on the one-process node; the API node learns of it from the shared log), ' +
      'on the same nodes and data as the introspection sitting above.',
    '',
    'Keyhold issues opaque access tokens and records each one as an event (a durable append, answered after its projections applied it, like a command); Keycloak signs a JWT and stores nothing.',
    '',
  );
  for (const [tokens, cc] of Object.entries(results.workloads.clientCredentials ?? {})) {
    p(`### ${num(Number(tokens))} active tokens stored`, '', '| target | req/s | p50 ms | p99 ms | p99.9 ms |', '|---|---|---|---|---|');
    for (const [name, t] of Object.entries(cc.targets)) {
      if (t.unavailable) p(unavailableRow(name, t.unavailable, 5));
      else p(`| ${t.label} | ${spread(t.requestsPerSecond)} | ${spread(t.latencyMs.p50, 2, ms)} | ${spread(t.latencyMs.p99, 2, ms)} | ${spread(t.latencyMs.p99_9, 2, ms)} |`);
      if (t.invalidRuns?.length) p(`|  ↳ ${t.invalidRuns.length} repetition(s) had errors or wrong answers: ${JSON.stringify(t.invalidRuns.map((r) => r.example ?? r.statusCodes)).slice(0, 200)} | | | | |`);
    }
    const r = cc.ratios;
    p(
      '',
      `Ratios in this sitting: Keyhold embedded / limit **${ratio(r.embeddedToLimit)}**; Keyhold API node / limit ${ratio(r.apiToLimit)}; Keycloak / limit ${ratio(r.keycloakToLimit)}; ` +
        `Keyhold embedded / Keycloak **${ratio(r.embeddedToKeycloak)}**; Keyhold API node / Keycloak ${ratio(r.apiToKeycloak)}.`,
      '',
    );
  }

  // Workloads 3 and 4.
  p('## 3. Commands: tokens issued per second through `POST /v1/tokens`', '');
  p(
    'Each request issues a personal token for one of the seeded members (round robin, each with its own bearer token and stream), and answers 201 once the `TokenIssued` event is durably appended ' +
      '(SQLite WAL, `synchronous=FULL`) and, read-your-writes, applied by every projection of the answering process. ' +
      '"One process" is the default (`npm start`: api and worker together); "api + worker" runs `KEYHOLD_ROLES=api` and `KEYHOLD_ROLES=worker` as two processes on the same data. ' +
      'The event log is the embedded SQLite file in both configurations (no EventStoreDB server can be had here); "Kafka + Mongo" moves the read models to the MongoDB wire-protocol stand-in (mongo-java-server, in memory: not a real MongoDB) and the bus to a local Kafka broker.',
    '',
    '| configuration | topology | tokens/s | p50 ms | p99 ms | p99.9 ms |',
    '|---|---|---|---|---|---|',
  );
  const commandRows = [];
  for (const [mode, r] of Object.entries(results.workloads.commands ?? {})) {
    if (r.unavailable) {
      p(unavailableRow(mode, r.unavailable, 6));
      continue;
    }
    for (const [topology, t] of Object.entries(r.topologies)) {
      p(`| ${mode} | ${topology === 'single' ? 'one process' : 'api + worker'} | ${spread(t.requestsPerSecond)} | ${spread(t.latencyMs.p50, 1, ms)} | ${spread(t.latencyMs.p99, 1, ms)} | ${spread(t.latencyMs.p99_9, 1, ms)} |`);
      if (t.invalidRuns?.length) p(`|  ↳ ${t.invalidRuns.length} repetition(s) had errors: ${JSON.stringify(t.invalidRuns.map((x) => x.example ?? x.statusCodes)).slice(0, 200)} | | | | | |`);
      commandRows.push([mode, topology, t.lag]);
    }
  }
  p(
    '',
    '## 4. Projection lag under the load of 3',
    '',
    'Beside the command load, a probe issues a token every 100 ms and, from the 201 (the append happened just before it), looks for it two ways at once: ' +
      'straight in the read model the worker writes (the data dir\'s SQLite file or the MongoDB database, from the bench\'s own process, every 1 ms): the projection\'s lag, which the goal bounds; ' +
      'and through `GET /v1/tokens/{id}` every 2 ms: what a client of the API sees, which adds the GET\'s own wait behind the command load. The GET figure is also given from when the request was sent, as an upper bound.',
    '',
    '| configuration | topology | samples | in the read model after the 201: p50 / p99 / max ms | through the API after the 201: p50 / p99 / max ms | after sending: p50 / p99 ms | seen by the first GET | that GET: p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const [mode, topology, lag] of commandRows) {
    // Runs from before the probe kept its GETs, or looked into the read model, have no such figures.
    const gets = lag.lastGetMs ? `${lag.seenByFirstGet}/${lag.samples} | ${ms(lag.lastGetMs.p50)} / ${ms(lag.lastGetMs.p99)}` : '– | –';
    const stored = lag.storedAfterAckMs ? `${ms(lag.storedAfterAckMs.p50)} / ${ms(lag.storedAfterAckMs.p99)} / ${ms(lag.storedAfterAckMs.max)}${lag.storedMissing ? ` (${lag.storedMissing} never seen)` : ''}` : '–';
    p(
      `| ${mode} | ${topology === 'single' ? 'one process' : 'api + worker'} | ${lag.samples}${lag.errors ? ` (+${lag.errors} failed: ${lag.firstError})` : ''} | ${stored} | ${ms(lag.afterAckMs.p50)} / ${ms(lag.afterAckMs.p99)} / ${ms(lag.afterAckMs.max)} | ${ms(lag.afterSendMs.p50)} / ${ms(lag.afterSendMs.p99)} | ${gets} |`,
    );
  }
  const standIn = results.workloads.commands?.['kafka-mongo'];
  const paused = commandRows.filter(([, , lag]) => lag.standInGc);
  if (paused.length) {
    p(
      '',
      `The MongoDB stand-in is a JVM (\`${standIn.standInJvm ?? 'flags not recorded'}\`); its collector's pauses while the probe ran, which the Kafka + Mongo lag includes and a real MongoDB would not add: ` +
        paused
          .map(([, topology, { standInGc: gc }]) => `${topology === 'single' ? 'one process' : 'api + worker'} ${gc.count} pause(s), ${ms(gc.totalMs)} ms in all, the longest ${ms(gc.maxMs)} ms, in ${num(gc.windowMs / 1000, 1)} s`)
          .join('; ') +
        '.',
    );
  }
  p('', "In one process the read model is there when the command answers (read-your-writes), so the lag after the 201 is just the probe's own GET. With a separate worker, the worker learns of the API node's commits by checking SQLite's `PRAGMA data_version` every 10 ms, then applies what arrived as one page (one transaction for every read model). Where the first GET after the 201 already sees the token, the lag is that GET's own wait in the API node's queue behind the command load, which no worker can shorten.", '');

  // Workload 5.
  p('## 5. Revocation propagation: revoke on node A, rejected on node B', '');
  const rev = results.workloads.revocation ?? {};
  if (rev.embedded && !rev.embedded.unavailable) {
    const e = rev.embedded;
    p(
      '**Embedded mode only, labelled as such**: A (api + worker) and B (`KEYHOLD_ROLES=api`) are two processes on the same `DATA_DIR`, sharing the SQLite log and read models; the in-process bus does not cross processes, so B hears no relay heartbeat, is stale after 5 s, and confirms every credential in the shared read model (the fail-safe), besides noticing new commits to the log itself (`PRAGMA data_version`, checked every 10 ms). ' +
        'A fresh token is issued on A and seen active on B, then revoked on A at a random moment; B is asked (introspection) every 2 ms until it answers inactive.',
      '',
      '| samples | rejected on A when A answered | on B after A\'s answer: p50 / p99 / max ms | after sending the revoke: p50 / p99 ms |',
      '|---|---|---|---|',
      `| ${e.samples} | ${e.rejectedOnAAtAck}/${e.samples} | ${ms(e.afterAckMs.p50)} / ${ms(e.afterAckMs.p99)} / ${ms(e.afterAckMs.max)} | ${ms(e.afterSendMs.p50)} / ${ms(e.afterSendMs.p99)} |`,
      '',
    );
  } else if (rev.embedded) p(`Embedded: ${rev.embedded.unavailable}`, '');
  const km = rev['kafka-mongo'];
  if (km && !km.unavailable) {
    p(
      '**Kafka + Mongo**: a worker and two API-only nodes, A and B, on one SQLite log with the bus on Kafka; B hears the revocation on `keyhold.lifecycle.v1` (its own check of the log, `PRAGMA data_version` every 10 ms, is the fallback). Same probe as above.',
      '',
      '| samples | on B after A\'s answer: p50 / p99 / max ms | after sending the revoke: p50 / p99 ms |',
      '|---|---|---|',
      `| ${km.samples} | ${ms(km.afterAckMs.p50)} / ${ms(km.afterAckMs.p99)} / ${ms(km.afterAckMs.max)} | ${ms(km.afterSendMs.p50)} / ${ms(km.afterSendMs.p99)} |`,
      '',
    );
  } else if (km) p(`Kafka + Mongo: ${km.unavailable}.`, '');

  // Workload 6.
  p(
    '## 6. Replay: rebuilding every read model from the log',
    '',
    'Two ways. **Start-up replay**: a fresh node on a data dir holding only `events.sqlite` and `keys/` (read models dropped), timed from spawn until `/health/ready` shows no projection behind. **`rebuild --all`**: the operator command, run while that node serves, replays every read model into a fresh generation (batched writes) and switches over; its own figure. ' +
      '"Listening" is when the API answered: it listens only once its in-memory credential index has loaded the whole log. The other projections (every read model, the audit history, the lifecycle relay) run in the same process.',
    '',
    '| events in the log | configuration | listening after s | all read models after s | events/s | RSS when done |',
    '|---|---|---|---|---|---|',
  );
  for (const [tokens, r] of Object.entries(results.workloads.replay ?? {})) {
    for (const mode of ['embedded', 'kafka-mongo']) {
      const x = r[mode];
      if (!x) continue;
      if (x.unavailable) p(`| ${num(r.embedded?.events ?? Number(tokens))} | ${mode} | ${x.unavailable} | | | |`);
      else if (x.complete) p(`| ${num(x.events)} | ${mode} | ${num(x.listeningSeconds, 1)} | ${num(x.readySeconds, 1)} | **${num(x.eventsPerSecond)}** | ${mb(x.rssBytes)} |`);
      else {
        const slowest = Object.entries(x.positionsWhenMeasured).sort((a, b) => a[1] - b[1])[0] ?? ['?', 0];
        p(
          `| ${num(x.events)} | ${mode} | ${num(x.listeningSeconds, 1)} | not done within the ${num(x.secondsWhenMeasured)} s budget: projection \`${slowest[0]}\` at ${num(slowest[1])} of ${num(x.events)} | ≈ ${num(x.eventsPerSecond)} (slowest projection, partial) | ${mb(x.rssBytes)} |`,
        );
      }
    }
    if (r.rebuild?.unavailable) p(`| ${num(r.embedded?.events ?? Number(tokens))} | \`rebuild --all\`, embedded | ${r.rebuild.unavailable} | | | |`);
    else if (r.rebuild) p(`| ${num(r.rebuild.events)} | \`rebuild --all\`, embedded, node serving | | ${num(r.rebuild.seconds, 1)} | **${num(r.rebuild.eventsPerSecond)}** | |`);
    if (r.seeding) p(`| | (seeding these ${num(r.seeding.events)} events in bulk took ${num(r.seeding.seconds, 1)} s) | | | | |`);
  }
  p('', 'One replay per size (not repeated): it is minutes long at 1M events, and the figure is a rate over the whole rebuild.', '');

  // Workload 7.
  p(
    '## 7. Memory: resident size of a node holding the active tokens',
    '',
    'After the load, the API-only node (started with `bench/lib/memory-probe.js` preloaded) runs two full garbage collections: the heap in use before and after them tells what the node holds from garbage V8 had not yet needed to collect.',
    '',
    '| active tokens | process | RSS after start | RSS after the load (introspection and client_credentials) | heap used after the load → after a full GC | RSS after the full GC | listening after start, s |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [tokens, mem] of Object.entries(results.workloads.memory ?? {})) {
    const a = mem.apiOnly;
    const gc = a.heapUsedAfterFullGcBytes === undefined ? 'not measured' : `${mb(a.heapUsedAfterLoadBytes)} → ${mb(a.heapUsedAfterFullGcBytes)}`;
    p(`| ${num(Number(tokens))} | API only (\`KEYHOLD_ROLES=api\`, ${a.mode}) | ${mb(a.rssAtStartBytes)} | ${mb(a.rssAfterLoadBytes)} | ${gc} | ${a.rssAfterFullGcBytes === undefined ? '–' : mb(a.rssAfterFullGcBytes)} | ${num(a.listeningSeconds ?? a.indexLoadSeconds, 1)} |`);
    p(`| ${num(Number(tokens))} | api + worker, embedded default (read models dropped) | ${mb(mem.singleProcess.rssAtStartBytes)} | ${mb(mem.singleProcess.rssAfterLoadBytes)} | | | ${num(mem.singleProcess.listeningSeconds, 1)} |`);
  }
  if (results.peer?.rssBytes) p('', `For comparison, Keycloak's JVM (dev mode, default heap) was at ${mb(results.peer.rssBytes)} after its workloads.`);
  if (results.mode === 'quick') p('', 'Quick mode stores 100k tokens only; the 1M figures come from the full mode (`npm run bench:full`).');

  // Workload 8.
  p(
    '',
    '## 8. Catch-up: serving while the read models catch up',
    '',
    `The one-process node of the sittings above, loaded in windows of ${c.catchUpWindowSeconds} s alternating introspection and client_credentials (same plans) while its read models catch up, ` +
      `at most ${c.catchUpMaxWindows} windows per cause: during \`rebuild --all\` run beside it, then after a restart with its read models dropped (windows start as soon as it listens), ` +
      'then after a restart with the read models at the head but without `background-checkpoints.sqlite`, as a log restored into a fresh data dir (the lifecycle relay republishes the whole log and the key shredder reads it again). ' +
      'Each plan\'s worst window is compared with the same node\'s steady state in the sittings (median of the repetitions); a window with errors, timeouts or wrong answers counts as no throughput. ' +
      'A catch-up still running after the last window is stopped: its unloaded rate is workload 6\'s.',
    '',
    '| active tokens | cause | plan | windows | steady req/s | worst / median window req/s | worst ÷ steady | steady p99 ms | worst / median window p99 ms | worst p99 ÷ steady | catch-up |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [tokens, causes] of Object.entries(results.workloads.catchUp ?? {})) {
    for (const [cause, r] of Object.entries(causes)) {
      const label = CATCH_UP_CAUSES[cause] ?? cause;
      if (r.unavailable) {
        p(`| ${num(Number(tokens))} | ${label} | ${r.unavailable} | | | | | | | | |`);
        continue;
      }
      const over = `${r.finished ? 'over after' : 'stopped, still running after'} ${num(r.seconds, 1)} s${r.listeningSeconds !== undefined ? ` (listening ${num(r.listeningSeconds, 1)} s after start)` : ''}`;
      for (const [kind, x] of Object.entries(r.byPlan)) {
        p(
          `| ${num(Number(tokens))} | ${label} | ${kind === 'introspection' ? 'introspection' : 'client_credentials'} | ${x.windows} | ${num(x.steadyRps)} | ${num(x.worstRps)} / ${num(x.medianRps)} | **${num(x.throughputRatio, 2)}** | ${ms(x.steadyP99Ms)} | ${ms(x.worstP99Ms)} / ${ms(x.medianP99Ms)} | **${num(x.p99Ratio, 1)}** | ${over} |`,
        );
      }
      const failed = r.windows.filter((x) => x.non2xx || x.errors);
      if (failed.length) p(`|  ↳ ${failed.length} window(s) with errors: ${JSON.stringify(failed.map((x) => ({ kind: x.kind, non2xx: x.non2xx, errors: x.errors, timeouts: x.timeouts, example: x.example }))).slice(0, 300)} | | | | | | | | | | |`);
    }
  }
  p('');

  if (results.notes.length) p('', '## Notes', '', ...results.notes.map((n) => `- ${n}`));
  if (results.phases?.length) {
    p('', '## Where the run\'s time went', '', '| part | minutes |', '|---|---|', ...results.phases.map((x) => `| ${x.name} | ${num(x.seconds / 60, 1)} |`));
  }
  p(
    '',
    '## How this was measured',
    '',
    `\`npm run bench${results.mode === 'full' ? ':full' : ''}\` (\`node bench/run.js --${results.mode}\`). Seeded tokens are written in bulk into the SQLite log by \`bench/seed.js\` with the service's own deciders, secret generation, hashing and event store, ` +
      'then checked through introspection (a sample must be active, a tampered secret inactive) before any load. ' +
      `Keycloak runs in dev mode (\`start-dev\`, H2, ${results.peer?.java ?? 'JDK on PATH'}) on 127.0.0.1 with a realm, a confidential client with a service account and an audience mapper; ` +
      `it is warmed up for ${c.keycloakWarmupSeconds} s before any measurement${results.mode === 'quick' ? ' (shorter than the 2–3 minutes its JIT needs to settle: quick-mode Keycloak figures understate it)' : ''}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
};

module.exports = { renderReport };
