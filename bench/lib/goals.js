'use strict';
/**
 * Issue 18's goals, each computed from the run's own figures: the report's goals table, the
 * JSON's `goals` and the chart's goals panel all come from here, none is typed in.
 *
 * A goal row: { workload, measure, checks: [{ what, figure, op, value, unit }], met, detail }.
 * `met` is true when every check holds, false when one fails, null when a figure was not
 * measured in this run (`detail` says why). Ratios are medians of ratios taken repetition by
 * repetition in one sitting (`ratio` in workloads.js), never ratios of medians from different runs.
 */
const MiB = 2 ** 20;

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

const check = (what, figure, op, value, unit = '') => ({ what, figure: finite(figure) ? figure : null, op, value, unit });

const holds = (c) => (c.figure === null ? null : c.op === '>=' ? c.figure >= c.value : c.figure <= c.value);

const goal = (workload, measure, checks, detail = '') => {
  const outcomes = checks.map(holds);
  const met = outcomes.includes(false) ? false : outcomes.includes(null) ? null : true;
  return { workload, measure, checks, met, detail };
};

const tokensLabel = (n) => (Number(n) >= 1_000_000 ? `${Number(n) / 1_000_000}M` : `${Number(n) / 1000}k`);

const unavailable = (x) => x?.unavailable ?? null;

/** The load generator is far above every Keyhold target: its reading against the bare server over the best Keyhold median. */
const generatorGoal = (results) => {
  const g = results.loadGenerator;
  const keyhold = [];
  for (const sittings of [results.workloads.introspection, results.workloads.clientCredentials]) {
    for (const sitting of Object.values(sittings ?? {})) {
      for (const [name, t] of Object.entries(sitting.targets)) if (name.startsWith('keyhold') && t.requestsPerSecond) keyhold.push(t.requestsPerSecond.median);
    }
  }
  const ceiling = g?.requestsPerSecond?.[g.used]?.median;
  const best = keyhold.length ? Math.max(...keyhold) : null;
  return goal(
    'load generator',
    `${g?.used ?? '?'} against the bare server ÷ the fastest Keyhold target (bench's own check)`,
    [check('headroom', finite(ceiling) && best ? ceiling / best : null, '>=', 1.5, '×')],
    g ? Object.entries(g.requestsPerSecond).map(([name, s]) => `${name} ${Math.round(s?.median ?? NaN)} req/s`).join(', ') : 'not measured',
  );
};

const sittingGoals = (results) => {
  const rows = [];
  for (const [tokens, sitting] of Object.entries(results.workloads.introspection ?? {})) {
    const size = `${tokensLabel(tokens)} tokens`;
    const apiName = Object.keys(sitting.targets).find((n) => n.startsWith('keyhold-api') && !sitting.targets[n].unavailable);
    for (const [label, rps, p99, name] of [
      ['one process', sitting.ratios.embeddedToLimit, sitting.ratios.embeddedP99ToLimit, 'keyhold-embedded'],
      ['API node', sitting.ratios.apiToLimit, sitting.ratios.apiP99ToLimit, apiName],
    ]) {
      rows.push(
        goal(`introspection, ${size}`, `${label}: req/s ÷ the limit's; p99 ÷ the limit's p99`, [check('throughput', rps?.median, '>=', 0.6), check('p99', p99?.median, '<=', 3, '×')], unavailable(sitting.targets[name]) ?? ''),
      );
    }
  }
  for (const [tokens, sitting] of Object.entries(results.workloads.clientCredentials ?? {})) {
    const size = `${tokensLabel(tokens)} tokens`;
    const apiName = Object.keys(sitting.targets).find((n) => n.startsWith('keyhold-api'));
    const kc = sitting.ratios.keycloakToLimit?.median;
    const beside = finite(kc) ? `Keycloak: ${kc.toFixed(3)} of the limit` : 'Keycloak not measured';
    rows.push(goal(`client_credentials, ${size}`, "one process: req/s ÷ the limit's", [check('throughput', sitting.ratios.embeddedToLimit?.median, '>=', 0.3)], unavailable(sitting.targets['keyhold-embedded']) ?? beside));
    rows.push(goal(`client_credentials, ${size}`, "API node: req/s ÷ the limit's", [check('throughput', sitting.ratios.apiToLimit?.median, '>=', 0.3)], unavailable(sitting.targets[apiName]) ?? beside));
  }
  return rows;
};

/** Each cause of catch-up of workload 8 (`catch-up.js`), as the report, the goals and the chart name it. */
const CATCH_UP_CAUSES = {
  rebuild: '`rebuild --all` while serving',
  restart: 'restart, read models dropped',
  restored: 'restored log: the relay has no checkpoint',
};

const catchUpGoals = (results) => {
  const rows = [];
  for (const [tokens, causes] of Object.entries(results.workloads.catchUp ?? {})) {
    for (const [cause, r] of Object.entries(causes)) {
      for (const kind of ['introspection', 'clientCredentials']) {
        const workload = `catch-up (${CATCH_UP_CAUSES[cause] ?? cause}), ${tokensLabel(tokens)} tokens`;
        const measure = `${kind === 'introspection' ? 'introspection' : 'client_credentials'}: worst window ÷ steady req/s; worst p99 ÷ steady p99`;
        if (r.unavailable) {
          rows.push(goal(workload, measure, [check('throughput', null, '>=', 0.5), check('p99', null, '<=', 5, '×')], r.unavailable));
          continue;
        }
        const x = r.byPlan[kind];
        const over = r.finished ? `caught up after ${r.seconds.toFixed(1)} s` : `still catching up after ${r.seconds.toFixed(1)} s (stopped)`;
        if (!x) {
          rows.push(goal(workload, measure, [check('throughput', null, '>=', 0.5), check('p99', null, '<=', 5, '×')], 'not measured: no steady state for this plan'));
        } else if (x.windows === 0 && r.finished && r.seconds <= results.config.catchUpWindowSeconds) {
          // Over before a window could start: nothing was left to starve.
          rows.push({ ...goal(workload, measure, [check('throughput', 1, '>=', 0.5), check('p99', 1, '<=', 5, '×')]), detail: `${over}, before a window of this plan` });
        } else {
          rows.push(goal(workload, measure, [check('throughput', x.throughputRatio, '>=', 0.5), check('p99', x.p99Ratio, '<=', 5, '×')], `${x.windows} window(s); ${over}`));
        }
      }
    }
  }
  return rows;
};

const memoryGoals = (results) =>
  Object.entries(results.workloads.memory ?? {}).flatMap(([tokens, m]) => [
    goal(`API node, ${tokensLabel(tokens)} tokens`, 'RSS after the load and a full GC', [check('RSS', finite(m.apiOnly.rssAfterFullGcBytes) ? m.apiOnly.rssAfterFullGcBytes / MiB : null, '<=', 300, ' MiB')], m.apiOnly.rssAfterFullGcBytes === undefined ? 'the memory probe did not answer' : `${m.apiOnly.mode} configuration`),
    goal(`API node, ${tokensLabel(tokens)} tokens`, 'listening after start (spawn to the first answer)', [check('listening', m.apiOnly.listeningSeconds, '<=', 5, ' s')], `${m.apiOnly.mode} configuration`),
  ]);

const commandGoals = (results) => {
  const c = results.workloads.commands ?? {};
  const single = (mode) => c[mode]?.topologies?.single?.requestsPerSecond?.median;
  const rows = [goal('commands', '`POST /v1/tokens` per second, one process, embedded', [check('throughput', single('embedded'), '>=', 3000, '/s')], unavailable(c.embedded) ?? `${results.config.commandConnections} connections`)];
  for (const mode of ['embedded', 'kafka-mongo']) {
    const lag = c[mode]?.topologies?.split?.lag;
    // The projection's own lag, seen in the read model; what a GET through the loaded API node adds is in the detail.
    const failed = (lag?.errors ? `${lag.errors} probe(s) failed: ${lag.firstError}; ` : '') + (lag?.storedMissing ? `${lag.storedMissing} never seen in the read model; ` : '');
    const throughApi = lag?.samples ? `through the API's GET under the load: p99 ${Math.round(lag.afterAckMs.p99)} ms` : '';
    const standIn = lag?.standInGc ? `; the stand-in's collector paused it ${lag.standInGc.count} time(s) meanwhile, the longest ${Math.round(lag.standInGc.maxMs)} ms` : '';
    rows.push(
      goal(
        'projection lag',
        `p99 from the 201 to the read model, separate worker, ${mode}`,
        [check('lag', lag?.storedAfterAckMs && !lag.storedMissing ? lag.storedAfterAckMs.p99 : null, '<=', 100, ' ms')],
        unavailable(c[mode]) ?? failed + throughApi + standIn,
      ),
    );
  }
  const km = single('kafka-mongo');
  const em = single('embedded');
  rows.push(goal('commands', 'Kafka + Mongo ÷ embedded, one process', [check('ratio', finite(km) && em ? km / em : null, '>=', 0.5)], unavailable(c['kafka-mongo']) ?? 'within 2× of the embedded configuration'));
  return rows;
};

const replayGoals = (results) =>
  Object.entries(results.workloads.replay ?? {}).flatMap(([tokens, r]) => [
    goal(`replay, ${tokensLabel(tokens)} tokens`, 'start-up replay, embedded (read models dropped)', [check('rate', r.embedded?.eventsPerSecond, '>=', 50_000, ' events/s')], r.embedded?.complete === false ? 'partial: not done within its budget' : `${r.embedded?.events ?? '?'} events`),
    goal(`replay, ${tokensLabel(tokens)} tokens`, '`rebuild --all`, embedded, node serving', [check('rate', r.rebuild?.eventsPerSecond, '>=', 50_000, ' events/s')], unavailable(r.rebuild) ?? `${r.rebuild?.events ?? '?'} events`),
  ]);

const goals = (results) => [generatorGoal(results), ...sittingGoals(results), ...catchUpGoals(results), ...memoryGoals(results), ...commandGoals(results), ...replayGoals(results)];

/** A check as text: "0.42 (goal ≥ 0.5)". */
const formatCheck = (c, digits = 2) => {
  const f = (v) => v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : digits });
  return { figure: c.figure === null ? '–' : `${f(c.figure)}${c.unit}`, goal: `${c.op === '>=' ? '≥' : '≤'} ${f(c.value)}${c.unit}` };
};

module.exports = { CATCH_UP_CAUSES, goals, formatCheck };
