/**
 * The HTML report of a run (`autopilot sim FILE --html out.html`): one self-contained page, inline
 * SVG, CSS and a few lines of script, nothing fetched, so it opens from disk, from a CI artifact
 * or an e-mail. It shows, on one time axis per service, the running tasks per revision (primary
 * and canary), the rollouts and their steps, each rollback with its reason, the alarms' states,
 * the scenario's own steps, and the notifications and scaling changes when the run has them;
 * then the rollouts in a few words, and every event in order.
 */
import { formatDuration } from '../../../lib/duration.ts';
import type { Marker, RolloutSpan, TimelineData } from '../timeline.ts';
import { type Band, cssId, darker, NARROW, serviceChart } from './chart.ts';
import { clip, esc, OUTCOME_COLOUR, offset, revisionColours, TONE, wallClock } from './format.ts';

export function renderHtml(data: TimelineData): string {
  const colours = revisionColours(data);
  const primaries = data.services.filter((s) => s.role === 'primary');
  const charts = primaries.map((primary) => {
    const canary = data.services.find((s) => s.role === 'canary' && s.primary === primary.key);
    const id = `svc-${cssId(primary.key)}`;
    const chart = serviceChart(data, primary, canary, colours, id);
    const narrow = serviceChart(data, primary, canary, colours, `${id}-n`, NARROW);
    return { id, primary, chart, narrow };
  });
  const hover = Object.fromEntries(
    charts.flatMap((c) => [
      [`${c.id}-chart`, { ...c.chart.series, start: data.start }],
      [`${c.id}-n-chart`, { ...c.narrow.series, start: data.start }],
    ]),
  );
  const duration = formatDuration(Math.round((data.end - data.start) / 1000) * 1000);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.scenario)} · ecs-autopilot</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <div class="brand">ecs-autopilot · scenario run</div>
  <h1>${esc(data.scenario)}</h1>
  <p class="sub">${esc(data.file)} · virtual ${esc(dateTime(data.start))} → ${esc(wallClock(data.end))} UTC · ${esc(duration)}${data.endedBy ? ` · ${esc(endedBy(data.endedBy))}` : ''}</p>
</header>
<main>
${summary(data)}
${charts
  .map(
    (c) => `<section class="service" id="${c.id}">
  <h2>${esc(c.primary.key)} <span class="now">${esc(finalState(c.primary))}</span></h2>
  <div class="chart-box">${c.chart.svg}${c.narrow.svg}<div class="readout" hidden></div></div>
  ${legend(c.chart.bands)}
</section>`,
  )
  .join('\n')}
${eventsTable(data)}
</main>
<footer>Written by <code>autopilot sim ${esc(data.file)} --html</code>. Times are the run's virtual clock; sampled every ${formatDuration(data.sampleMs)}. Under each chart, the tasks per revision as each step ended; hover the chart for the counts at any moment.</footer>
<script type="application/json" id="series">${json(hover)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function dateTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d{3}Z$/, '');
}

function endedBy(why: string): string {
  return (
    { until: 'ran until its end', settled: 'ended once settled', cap: 'stopped at the time cap' }[why] ?? why
  );
}

/** `web:2 · 4/4 running` at the end of the run. */
function finalState(s: TimelineData['services'][number]): string {
  const last = s.points.at(-1);
  if (!last) return '';
  const running = Object.entries(last.running)
    .map(([r, n]) => `${n} × ${r}`)
    .join(', ');
  return `ends with ${running || 'no tasks'} running, ${last.desired} desired`;
}

/** The rollouts in a few words (what, how it ended, how long, why), then the alarms that fired. */
function summary(data: TimelineData): string {
  const cards = data.rollouts.map(card);
  if (cards.length === 0)
    cards.push('<div class="card muted">No rollouts by the pipeline in this run.</div>');
  // A gate alarm in ALARM rolls a rollout back (red); a scaling alarm in ALARM only scales the
  // service (blue): one red card for both read like an incident.
  const gate = data.alarms.filter((a) => a.gate).flatMap((a) => alarmPeriods(a, data));
  if (gate.length) {
    cards.push(`<div class="card alarms"><div class="card-head"><span class="icon" style="background:${TONE.bad}">!</span><b>Gate alarms in ALARM</b></div>
  ${gate.join('')}
</div>`);
  }
  const scaling = data.alarms.filter((a) => !a.gate).flatMap((a) => alarmPeriods(a, data));
  if (scaling.length) {
    cards.push(`<div class="card alarms scaling" style="border-left-color:${TONE.info}"><div class="card-head"><span class="icon" style="background:${TONE.info}">↕</span><b>Scaling alarms in ALARM</b></div>
  <div class="card-detail">they scale the service; they do not roll back</div>
  ${scaling.join('')}
</div>`);
  }
  return `<section class="cards">${cards.join('')}</section>`;
}

/** `web-cpu-high  +0:24:05 → +0:31:05 (7m)`, one line per time in ALARM. */
function alarmPeriods(a: TimelineData['alarms'][number], data: TimelineData): string[] {
  const out: string[] = [];
  a.states.forEach((s, i) => {
    if (s.state !== 'ALARM') return;
    const until = a.states[i + 1]?.at;
    const took = formatDuration(Math.round(((until ?? data.end) - s.at) / 1000) * 1000);
    out.push(
      `<div class="card-detail"><b>${esc(a.name)}</b>${a.gate ? ' <span class="gate">gate</span>' : ''} ${offset(s.at - data.start)} → ${until === undefined ? 'the end' : offset(until - data.start)} (${esc(took)}${until === undefined ? ', still in ALARM' : ''})</div>`,
    );
  });
  return out;
}

function card(r: RolloutSpan): string {
  const colour = OUTCOME_COLOUR[r.outcome];
  const icon = { succeeded: '✓', rolled_back: '✕', aborted: '■', superseded: '↷', in_progress: '…' }[
    r.outcome
  ];
  const took =
    r.endedAt !== undefined ? formatDuration(Math.round((r.endedAt - r.startedAt) / 1000) * 1000) : '';
  // Each step as asked, and as the load balancer really served it when the run counted requests.
  const steps = r.steps
    .map(
      (s) =>
        `${s.percent}%${s.servedShare !== undefined && s.servedShare !== s.percent ? ` (served ${s.servedShare}%)` : ''}`,
    )
    .join(' → ');
  return `<div class="card outcome-${r.outcome}" style="border-color:${colour}">
  <div class="card-head"><span class="icon" style="background:${colour}">${icon}</span><b>${esc(r.image)}</b> <span class="service-name">${esc(r.service)}</span></div>
  <div class="card-outcome" style="color:${darker(colour)}">${esc(r.outcome.replace('_', ' '))}${took ? ` after ${esc(took)}` : ''}</div>
  <div class="card-detail">${esc(r.from)} → ${esc(r.revision ?? '…')}${steps ? ` · steps ${esc(steps)}` : ''}</div>
  ${r.reason ? `<div class="card-reason">${esc(r.reason)}</div>` : ''}
</div>`;
}

function legend(bands: Band[]): string {
  const items = bands.map(
    (b) =>
      `<span class="key"><span class="swatch ${b.role}" style="--c:${b.colour}"></span>${esc(b.revision)}${b.image ? ` <span class="muted">${esc(b.image)}</span>` : ''} <span class="muted">${b.role}</span></span>`,
  );
  items.push(
    '<span class="key"><span class="swatch desired"></span>desired (primary)</span>',
    `<span class="key"><span class="swatch line" style="--c:${OUTCOME_COLOUR.succeeded}"></span>step</span>`,
    `<span class="key"><span class="swatch rollback"></span>rollback</span>`,
    `<span class="key"><span class="swatch alarm-ok"></span>OK</span>`,
    `<span class="key"><span class="swatch alarm-alarm"></span>ALARM</span>`,
    `<span class="key"><span class="swatch alarm-none"></span>insufficient data</span>`,
  );
  return `<div class="legend">${items.join('')}</div>`;
}

const KIND_LABEL: Record<Marker['kind'] | 'alarm', string> = {
  scenario: 'scenario',
  started: 'rollout',
  step: 'step',
  succeeded: 'succeeded',
  rolled_back: 'rollback',
  superseded: 'superseded',
  ignored: 'ignored',
  paused: 'paused',
  resumed: 'resumed',
  notification: 'notification',
  scaling: 'scaling',
  alarm: 'alarm',
};

/** Every marker and alarm change, in order. */
function eventsTable(data: TimelineData): string {
  const rows: { at: number; kind: Marker['kind'] | 'alarm'; text: string; tone?: string }[] =
    data.markers.map((m) => ({
      at: m.at,
      kind: m.kind,
      text: m.detail,
      ...(m.tone ? { tone: m.tone } : {}),
    }));
  for (const a of data.alarms) {
    a.states.forEach((s, i) => {
      if (i === 0) return;
      rows.push({
        at: s.at,
        kind: 'alarm',
        text: `${a.name}${a.gate ? ' (gate)' : ''} ${a.states[i - 1]!.state} → ${s.state}${s.reason ? `: ${clip(s.reason, 160)}` : ''}`,
        tone: s.state === 'ALARM' ? 'bad' : s.state === 'OK' ? 'good' : undefined,
      });
    });
  }
  rows.sort((a, b) => a.at - b.at);
  return `<section class="events"><h2>What happened</h2>
<table><thead><tr><th>virtual</th><th>UTC</th><th></th><th>what</th></tr></thead><tbody>
${rows
  .map(
    (r) =>
      `<tr class="row-${r.kind}"><td class="t">${offset(r.at - data.start)}</td><td class="t muted">${wallClock(r.at)}</td><td><span class="kind kind-${r.kind}"${r.tone ? ` style="background:${TONE[r.tone as keyof typeof TONE]}"` : ''}>${KIND_LABEL[r.kind]}</span></td><td>${esc(r.text)}</td></tr>`,
  )
  .join('\n')}
</tbody></table></section>`;
}

/** JSON inside a script element: `</script>` cannot end it early. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const CSS = `
:root { color-scheme: light; --ink:#1d2433; --muted:#6b7385; --line:#e3e7ee; --bg:#f6f7fb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
header { background:#1d2433; color:#fff; padding:22px 32px 18px; }
header .brand { font-size:12px; letter-spacing:.08em; text-transform:uppercase; color:#9aa6bd; }
header h1 { margin:4px 0 2px; font-size:24px; font-weight:650; }
header .sub { margin:0; color:#c3cad8; }
main { max-width:1280px; margin:0 auto; padding:20px 24px 8px; }
h2 { font-size:17px; margin:0 0 8px; }
h2 .now { font-weight:400; color:var(--muted); font-size:13px; margin-left:8px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:18px; }
.card { background:#fff; border:1px solid var(--line); border-left-width:5px; border-radius:8px; padding:10px 14px; min-width:260px; flex:1 1 300px; max-width:620px; box-shadow:0 1px 2px rgba(20,30,50,.05); }
.card.muted { color:var(--muted); border-left-color:var(--line); }
.card.alarms { border-left-color:${TONE.bad}; flex:0 1 340px; }
.card.alarms .card-detail { color:var(--ink); margin-top:3px; }
.gate { font-size:10px; text-transform:uppercase; font-weight:700; color:#b03434; background:#fdecec; border-radius:3px; padding:0 4px; }
.card-head { display:flex; align-items:center; gap:8px; font-size:15px; }
.icon { display:inline-flex; width:20px; height:20px; border-radius:50%; color:#fff; align-items:center; justify-content:center; font-size:12px; font-weight:700; }
.service-name { color:var(--muted); font-size:13px; }
.card-outcome { font-weight:600; margin-top:2px; }
.card-detail { color:var(--muted); font-size:13px; }
.card-reason { margin-top:4px; font-size:13px; background:#fff5f5; border-radius:4px; padding:4px 6px; color:#8f2626; }
.outcome-succeeded .card-reason { background:#effaf3; color:#1c6b3c; }
.service { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px 10px; margin-bottom:18px; box-shadow:0 1px 2px rgba(20,30,50,.05); }
.chart-box { position:relative; }
svg.chart { display:block; font-family:inherit; fill:#3a4252; }
svg.chart.narrow { display:none; }
svg .lane { font-size:12px; font-weight:600; }
svg .alarm-name { font-weight:500; }
svg .axis { font-size:11px; }
svg .small { font-size:10.5px; }
svg text.muted { fill:var(--muted); }
.muted { color:var(--muted); }
svg .bar-label { font-size:11px; font-weight:600; }
svg .pill { font-size:10.5px; font-weight:700; }
svg .badge { font-size:9.5px; fill:#b03434; font-weight:700; text-transform:uppercase; }
svg .reason { font-size:12px; fill:#8f2626; font-weight:700; }
svg .reason-text { font-size:11.5px; fill:#5c1d1d; }
svg .bar-label { paint-order:stroke; stroke:#fff; stroke-width:3px; stroke-linejoin:round; }
svg .grid { stroke:#eef1f5; }
svg .vgrid { stroke:#f1f3f7; }
svg .cursor { stroke:#1d2433; stroke-width:1; stroke-dasharray:3 3; pointer-events:none; }
.readout { position:absolute; pointer-events:none; background:rgba(29,36,51,.94); color:#fff; font-size:12px; padding:6px 9px; border-radius:6px; white-space:nowrap; box-shadow:0 2px 8px rgba(0,0,0,.2); }
.readout i { display:inline-block; width:9px; height:9px; border-radius:2px; margin-right:5px; }
.legend { display:flex; flex-wrap:wrap; gap:6px 16px; font-size:12.5px; padding:6px 0 2px calc(100% * 170 / 1200); }
.key { display:inline-flex; align-items:center; gap:5px; }
.swatch { display:inline-block; width:16px; height:11px; border-radius:2px; background:var(--c); opacity:.85; }
.swatch.canary { background:repeating-linear-gradient(45deg,var(--c) 0 3px,transparent 3px 6px); border:1px solid var(--c); }
.swatch.desired { background:none; border-top:2px dashed #1d2433; height:0; }
.swatch.line { background:none; border-left:2px dotted var(--c); width:2px; }
.swatch.rollback { background:${TONE.bad}; width:3px; }
.swatch.alarm-ok { background:#9fd8b5; } .swatch.alarm-alarm { background:${TONE.bad}; } .swatch.alarm-none { background:#d5dae2; }
.events { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; margin-bottom:18px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th { text-align:left; font-weight:600; color:var(--muted); border-bottom:1px solid var(--line); padding:4px 8px; }
td { border-bottom:1px solid #f0f2f6; padding:4px 8px; vertical-align:top; }
td.t { font-variant-numeric:tabular-nums; white-space:nowrap; }
.kind { display:inline-block; font-size:11px; border-radius:10px; padding:1px 8px; background:#8a94a6; color:#fff; white-space:nowrap; }
.kind-scenario { background:#5b6474; } .kind-step, .kind-started { background:${TONE.info}; } .kind-notification { background:#6b4fbb; } .kind-scaling { background:#0f8b8d; }
footer { max-width:1280px; margin:0 auto; padding:0 24px 24px; color:var(--muted); font-size:12px; }
code { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px; }
/* The narrow drawing is made for about 720 px: shown 1:1, its text stays the size it was set in. */
@media (max-width: 960px) {
  main { padding:16px 10px 8px; }
  .service { padding:12px 8px 8px; }
  svg.chart.wide { display:none; }
  svg.chart.narrow { display:block; }
  .legend { padding-left:0; }
}
`;

/** The hover read-out: the counts of every band, the desired count and the time under the pointer. */
const SCRIPT = `
(function () {
  var all = JSON.parse(document.getElementById('series').textContent);
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var data = all[svg.id]; if (!data) return;
    var box = svg.parentNode, readout = box.querySelector('.readout'), cursor = svg.querySelector('.cursor');
    var left = +svg.dataset.left, plot = +svg.dataset.plot, start = +svg.dataset.start, end = +svg.dataset.end;
    var colours = {};
    svg.querySelectorAll('g.band').forEach(function (g) {
      var p = g.querySelector('path'); var fill = p.getAttribute('fill');
      var m = /url\\(#(.+)\\)/.exec(fill); if (m) { var r = svg.querySelector('#' + m[1] + ' rect'); fill = r ? r.getAttribute('fill') : '#888'; }
      colours[(g.classList.contains('band-canary') ? 'canary:' : 'primary:') + g.dataset.revision] = fill;
    });
    function pad(n) { return (n < 10 ? '0' : '') + n; }
    function off(ms) { var s = Math.round(ms / 1000); return '+' + Math.floor(s / 3600) + ':' + pad(Math.floor(s % 3600 / 60)) + ':' + pad(s % 60); }
    svg.querySelector('.hover').addEventListener('mousemove', function (e) {
      var pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
      var t = start + Math.max(0, Math.min(1, (pt.x - left) / plot)) * (end - start);
      var i = 0; while (i + 1 < data.times.length && data.times[i + 1] <= t) i++;
      cursor.setAttribute('x1', pt.x); cursor.setAttribute('x2', pt.x); cursor.setAttribute('visibility', 'visible');
      var lines = ['<b>' + off(t - data.start) + '</b> ' + new Date(t).toISOString().slice(11, 19) + ' UTC'];
      data.bands.forEach(function (b) { var v = b.values[i]; if (v > 0) lines.push('<i style="background:' + colours[b.key] + '"></i>' + b.label + ': ' + v); });
      lines.push('desired (primary): ' + data.desired[i]);
      readout.innerHTML = lines.join('<br>'); readout.hidden = false;
      var r = box.getBoundingClientRect();
      var x = e.clientX - r.left + 14; if (x + readout.offsetWidth > r.width) x = e.clientX - r.left - readout.offsetWidth - 14;
      readout.style.left = x + 'px'; readout.style.top = (e.clientY - r.top + 12) + 'px';
    });
    svg.querySelector('.hover').addEventListener('mouseleave', function () { readout.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  });
})();
`;
