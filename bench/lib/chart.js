'use strict';
/**
 * The run's chart as a PNG, drawn in pure JavaScript (pureimage, DejaVu Sans from an npm
 * package): throughput and latency of verification beside the limit and the peer, the
 * client_credentials grant, commands, serving during catch-up, and the goals met or missed.
 * Bars are medians; whiskers span min to max.
 */
const { formatCheck } = require('./goals');
const PImage = require('pureimage');
const { createWriteStream } = require('node:fs');
const { join, dirname } = require('node:path');

const FONT = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans.ttf');
const COLORS = { limit: '#9e9e9e', 'keyhold-embedded': '#1565c0', 'keyhold-api': '#42a5f5', keycloak: '#e65100', split: '#64b5f6' };
const colorOf = (name) => COLORS[name] ?? COLORS[Object.keys(COLORS).find((k) => name.startsWith(k))] ?? '#7b1fa2';

const fmt = (v) => (v === 0 ? '0' : v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));

/** One panel of grouped bars. `groups`: [{ label, bars: [{ label, color, median, min, max, note }] }]. */
const panel = (ctx, box, title, groups, { unit, log = false }) => {
  const { x, y, w, h } = box;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = '#000000';
  ctx.font = '17pt DejaVu';
  ctx.fillText(title, x + 10, y + 24);
  const plot = { x: x + 70, y: y + 60, w: w - 90, h: h - 130 };
  const values = groups.flatMap((g) => g.bars.flatMap((b) => [b.max ?? b.median].filter((v) => typeof v === 'number' && v > 0)));
  const top = values.length ? Math.max(...values) * 1.15 : 1;
  const bottom = log ? Math.max(Math.min(...groups.flatMap((g) => g.bars.map((b) => b.min ?? b.median)).filter((v) => typeof v === 'number' && v > 0), 1) / 2, 1e-3) : 0;
  const scale = (v) => {
    if (log) {
      const lo = Math.log10(bottom);
      const hi = Math.log10(top);
      return plot.y + plot.h - ((Math.log10(Math.max(v, bottom)) - lo) / (hi - lo)) * plot.h;
    }
    return plot.y + plot.h - (v / top) * plot.h;
  };
  // Axis and grid.
  ctx.strokeStyle = '#cccccc';
  ctx.lineWidth = 1;
  ctx.font = '11pt DejaVu';
  const ticks = log
    ? (() => {
        const out = [];
        for (let e = Math.floor(Math.log10(bottom)); e <= Math.ceil(Math.log10(top)); e += 1) {
          const v = 10 ** e;
          if (v >= bottom && v <= top) out.push(v);
        }
        return out;
      })()
    : [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  for (const t of ticks) {
    const ty = scale(t);
    ctx.beginPath();
    ctx.moveTo(plot.x, ty);
    ctx.lineTo(plot.x + plot.w, ty);
    ctx.stroke();
    ctx.fillStyle = '#444444';
    ctx.fillText(fmt(t), x + 8, ty + 5);
  }
  ctx.fillStyle = '#444444';
  ctx.fillText(unit, x + 8, y + 48);
  // Bars.
  const groupWidth = plot.w / Math.max(groups.length, 1);
  groups.forEach((group, gi) => {
    const gx = plot.x + gi * groupWidth;
    const barWidth = Math.min(60, (groupWidth - 20) / Math.max(group.bars.length, 1));
    const start = gx + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, bi) => {
      const bx = start + bi * barWidth;
      if (typeof bar.median !== 'number') {
        ctx.fillStyle = '#888888';
        ctx.font = '10pt DejaVu';
        ctx.fillText('n/a', bx + 4, plot.y + plot.h - 6);
        return;
      }
      const by = scale(bar.median);
      ctx.fillStyle = bar.color;
      ctx.fillRect(bx + 3, by, barWidth - 6, plot.y + plot.h - by);
      if (typeof bar.min === 'number' && typeof bar.max === 'number') {
        ctx.strokeStyle = '#000000';
        ctx.lineWidth = 2;
        const cx = bx + barWidth / 2;
        ctx.beginPath();
        ctx.moveTo(cx, scale(bar.min));
        ctx.lineTo(cx, scale(bar.max));
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(cx - 5, scale(bar.max));
        ctx.lineTo(cx + 5, scale(bar.max));
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(cx - 5, scale(bar.min));
        ctx.lineTo(cx + 5, scale(bar.min));
        ctx.stroke();
      }
      ctx.fillStyle = '#000000';
      ctx.font = '10pt DejaVu';
      ctx.fillText(fmt(bar.median), bx + 2, Math.max(by - 6, plot.y - 4));
    });
    ctx.fillStyle = '#000000';
    ctx.font = '12pt DejaVu';
    ctx.fillText(group.label, gx + 8, plot.y + plot.h + 22);
  });
  // Legend.
  const legend = [...new Map(groups.flatMap((g) => g.bars).map((b) => [b.label, b.color])).entries()];
  let lx = x + 10;
  ctx.font = '11pt DejaVu';
  for (const [label, color] of legend) {
    ctx.fillStyle = color;
    ctx.fillRect(lx, y + h - 36, 14, 14);
    ctx.fillStyle = '#000000';
    ctx.fillText(label, lx + 18, y + h - 24);
    lx += 26 + label.length * 8.2;
  }
};

const tokensLabel = (n) => (Number(n) >= 1_000_000 ? `${Number(n) / 1_000_000}M` : `${Number(n) / 1000}k`);
const fromSummary = (s) => (s ? { median: s.median, min: s.min, max: s.max } : { median: null });

const renderChart = async (results, file) => {
  const font = PImage.registerFont(FONT, 'DejaVu');
  font.loadSync();
  const width = 1600;
  const height = 1500;
  const img = PImage.make(width, height);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#f4f4f4';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = '18pt DejaVu';
  const m = results.machine;
  ctx.fillText(
    `Keyhold bench (${results.mode}), ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${m.cpus} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, load generator on the same cores. Bars: median of ${results.config.reps}; whiskers: min-max`,
    16,
    28,
  );

  const intro = results.workloads.introspection ?? {};
  const names = ['limit', 'keyhold-embedded', 'keyhold-api-kafka-mongo', 'keyhold-api-embedded', 'keycloak'];
  const labels = { limit: 'bare Fastify', 'keyhold-embedded': 'Keyhold embedded', 'keyhold-api-kafka-mongo': 'Keyhold API node (Kafka+Mongo)', 'keyhold-api-embedded': 'Keyhold API node', keycloak: 'Keycloak' };
  const present = names.filter((n) => Object.values(intro).some((s) => s.targets[n] && !s.targets[n].unavailable));
  const throughputGroups = Object.entries(intro).map(([tokens, s]) => ({
    label: `${tokensLabel(tokens)} tokens stored`,
    bars: present.map((n) => ({ label: labels[n], color: colorOf(n), ...fromSummary(s.targets[n]?.requestsPerSecond) })),
  }));
  panel(ctx, { x: 10, y: 45, w: 785, h: 470 }, 'POST /oauth/introspect: throughput', throughputGroups, { unit: 'req/s' });

  const largest = Object.keys(intro).sort((a, b) => Number(b) - Number(a))[0];
  const latencyGroups = largest
    ? present.map((n) => ({
        label: labels[n].replace(' (Kafka+Mongo)', ''),
        bars: ['p50', 'p99', 'p99_9'].map((p, i) => ({
          label: p.replace('_', '.'),
          color: ['#2e7d32', '#f9a825', '#c62828'][i],
          ...fromSummary(intro[largest].targets[n]?.latencyMs?.[p]),
        })),
      }))
    : [];
  panel(ctx, { x: 805, y: 45, w: 785, h: 470 }, `POST /oauth/introspect: latency, ${tokensLabel(largest)} tokens stored (log scale)`, latencyGroups, { unit: 'ms', log: true });

  const ccSittings = results.workloads.clientCredentials ?? {};
  const ccPresent = names.filter((n) => Object.values(ccSittings).some((x) => x.targets[n] && !x.targets[n].unavailable));
  const ccGroups = Object.entries(ccSittings).map(([tokens, x]) => ({
    label: `${tokensLabel(tokens)} tokens stored`,
    bars: ccPresent.map((n) => ({ label: labels[n], color: colorOf(n), ...fromSummary(x.targets[n]?.requestsPerSecond) })),
  }));
  panel(ctx, { x: 10, y: 525, w: 785, h: 465 }, 'POST /oauth/token (client_credentials): throughput', ccGroups, { unit: 'req/s' });

  const commands = results.workloads.commands ?? {};
  const commandGroups = Object.entries(commands).map(([mode, r]) => ({
    label: mode === 'embedded' ? 'embedded default' : 'Kafka + Mongo',
    bars: ['single', 'split'].map((t) => ({
      label: t === 'single' ? 'one process' : 'api + worker processes',
      color: t === 'single' ? COLORS['keyhold-embedded'] : COLORS.split,
      ...fromSummary(r.topologies?.[t]?.requestsPerSecond),
    })),
  }));
  panel(ctx, { x: 805, y: 525, w: 785, h: 465 }, 'POST /v1/tokens: tokens issued per second (durable append)', commandGroups, { unit: 'tokens/s' });

  const catchUp = results.workloads.catchUp ?? {};
  const catchUpSize = Object.keys(catchUp).sort((a, b) => Number(b) - Number(a))[0];
  const catchUpGroups = Object.entries(catchUp[catchUpSize] ?? {}).flatMap(([cause, r]) =>
    Object.entries(r.byPlan ?? {}).map(([kind, x]) => ({
      label: `${cause}: ${kind === 'introspection' ? 'introspect' : 'client_cred.'}`,
      bars: [
        { label: 'steady state', color: COLORS['keyhold-embedded'], median: x.steadyRps },
        { label: 'worst window during catch-up', color: '#c62828', median: x.worstRps },
        { label: 'median window during catch-up', color: '#ef9a9a', median: x.medianRps },
      ],
    })),
  );
  panel(ctx, { x: 10, y: 1000, w: 785, h: 490 }, `Serving while read models catch up, ${catchUpSize ? tokensLabel(catchUpSize) : '–'} tokens (one process)`, catchUpGroups, { unit: 'req/s' });

  // The goals, one line each: green met, red missed, grey not measured.
  const box = { x: 805, y: 1000, w: 785, h: 490 };
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(box.x, box.y, box.w, box.h);
  ctx.fillStyle = '#000000';
  ctx.font = '17pt DejaVu';
  const rows = results.goals ?? [];
  ctx.fillText(`Goals of issue 18: ${rows.filter((g) => g.met === true).length} met, ${rows.filter((g) => g.met === false).length} missed, ${rows.filter((g) => g.met === null).length} not measured`, box.x + 10, box.y + 24);
  const lineHeight = Math.min(22, (box.h - 45) / Math.max(rows.length, 1));
  ctx.font = `${Math.max(8, Math.min(11, Math.floor(lineHeight * 0.6)))}pt DejaVu`;
  rows.forEach((g, i) => {
    const y = box.y + 45 + i * lineHeight;
    ctx.fillStyle = g.met === true ? '#2e7d32' : g.met === false ? '#c62828' : '#9e9e9e';
    ctx.fillRect(box.x + 10, y, lineHeight - 6, lineHeight - 6);
    ctx.fillStyle = '#000000';
    const checks = g.checks.map((c) => formatCheck(c)).map((c) => `${c.figure} (${c.goal})`).join('; ');
    const text = `${g.workload.replace(/`/g, '')}: ${g.measure.split(':')[0].replace(/`/g, '')}: ${checks}`;
    ctx.fillText(text.length > 110 ? `${text.slice(0, 109)}…` : text, box.x + 10 + lineHeight, y + lineHeight - 8);
  });

  await PImage.encodePNGToStream(img, createWriteStream(file));
};

module.exports = { renderChart };
