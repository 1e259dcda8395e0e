/**
 * One service's run as an SVG chart on one time axis, top to bottom:
 *
 *   rollouts       a bar per rollout, coloured by how it ended; a ✕ where it was rolled back
 *   scenario       what the scenario did (pushes, load, alarms set by hand)
 *   running tasks  stacked areas: running tasks per revision, primary solid, canary hatched;
 *                  the primary's desired count dashed (scaling moves it); dotted lines at steps
 *   alarms         a strip per alarm: OK, ALARM, INSUFFICIENT_DATA; gate alarms first
 *   pipeline       rollouts started, succeeded, rolled back, paused, ignored
 *   notifications  what people were told (when the run has a notifications section)
 *   scaling        scaling changes (when the run has a scaling section)
 *   time           offsets from the start, and the virtual wall clock
 */
import type { AlarmSeries, Marker, ServiceSeries, TimelineData } from '../timeline.ts';
import {
  byRevision,
  clip,
  countAxis,
  esc,
  OUTCOME_COLOUR,
  offset,
  packLabels,
  TONE,
  textWidth,
  tickStep,
  wallClock,
} from './format.ts';

/**
 * The chart is drawn twice, each at the size it is shown (the page picks one by the window's width),
 * so its text is never scaled down: at 800 px a 1200-wide drawing would shrink 10.5 px labels to 6 px.
 */
export const WIDE = { width: 1200, left: 170 } as const;
export const NARROW = { width: 720, left: 120 } as const;
const RIGHT = 28;
/** The frame's gutter and plot, in the drawing's own pixels. */
interface Frame {
  left: number;
  plot: number;
  /** The margin right of the plot, inside the drawing: marker labels may run into it. */
  right: number;
}
const CHART_HEIGHT = 250;
const ALARM_ROW = 20;

const ALARM_COLOUR = { OK: '#9fd8b5', ALARM: TONE.bad, INSUFFICIENT_DATA: '#d5dae2' } as const;

export interface Band {
  key: string;
  role: 'primary' | 'canary';
  revision: string;
  image?: string;
  colour: string;
}

export interface ServiceChart {
  svg: string;
  bands: Band[];
  /** For the hover read-out: the change times and each band's value at them. */
  series: { times: number[]; bands: { key: string; label: string; values: number[] }[]; desired: number[] };
}

const MARKER_LANE_KINDS: Record<string, Marker['kind'][]> = {
  pipeline: ['started', 'succeeded', 'rolled_back', 'superseded', 'ignored', 'paused', 'resumed'],
  notifications: ['notification'],
  scaling: ['scaling'],
};

export function serviceChart(
  data: TimelineData,
  primary: ServiceSeries,
  canary: ServiceSeries | undefined,
  colours: Map<string, string>,
  idPrefix: string,
  size: { width: number; left: number } = WIDE,
): ServiceChart {
  const WIDTH = size.width;
  const LEFT = size.left;
  const PLOT = WIDTH - LEFT - RIGHT;
  const g: Frame = { left: LEFT, plot: PLOT, right: RIGHT };
  const { start, end } = data;
  const span = Math.max(1, end - start);
  const x = (t: number) => LEFT + ((Math.min(Math.max(t, start), end) - start) / span) * PLOT;
  const parts: string[] = [];
  const own = (m: { service?: string }) => m.service === undefined || m.service === primary.key;
  const markers = data.markers.filter(own);
  const rollouts = data.rollouts.filter((r) => r.service === primary.key);
  let y = 6;

  // ---- the series: change times, and each band's running count at each ----
  const times = [...new Set([...primary.points, ...(canary?.points ?? [])].map((p) => p.at))].sort(
    (a, b) => a - b,
  );
  if (times.at(-1) !== end) times.push(end);
  const at = (s: ServiceSeries | undefined, t: number) => {
    let found: ServiceSeries['points'][number] | undefined;
    for (const p of s?.points ?? []) {
      if (p.at > t) break;
      found = p;
    }
    return found;
  };
  const revisionsOf = (s: ServiceSeries | undefined) =>
    [...new Set((s?.points ?? []).flatMap((p) => Object.keys(p.running)))].sort(byRevision);
  const bands: Band[] = [
    ...revisionsOf(primary).map((revision) => band('primary', revision)),
    ...revisionsOf(canary).map((revision) => band('canary', revision)),
  ];
  function band(role: Band['role'], revision: string): Band {
    return {
      key: `${role}:${revision}`,
      role,
      revision,
      ...(data.revisions[revision] ? { image: data.revisions[revision] } : {}),
      colour: colours.get(revision) ?? TONE.muted,
    };
  }
  const values = bands.map((b) =>
    times.map((t) => at(b.role === 'primary' ? primary : canary, t)?.running[b.revision] ?? 0),
  );
  const desired = times.map((t) => at(primary, t)?.desired ?? 0);
  const stackMax = Math.max(0, ...times.map((_, i) => values.reduce((n, v) => n + v[i]!, 0)), ...desired);
  // Headroom above the highest stack for the step labels and a rollback's reason.
  const axis = countAxis(stackMax * 1.4);

  // ---- rollouts lane ----
  parts.push(laneLabel(g, 'rollouts', y + 16));
  for (const r of rollouts) {
    const x0 = x(r.startedAt);
    const x1 = Math.max(x0 + 3, x(r.endedAt ?? end));
    const colour = OUTCOME_COLOUR[r.outcome];
    const took = r.endedAt !== undefined ? ` in ${offset(r.endedAt - r.startedAt).slice(1)}` : '';
    const title = `${r.image} (${r.revision ?? 'not registered'}): ${r.outcome.replace('_', ' ')}${took}${r.reason ? `: ${r.reason}` : ''}`;
    const label = `${r.image} ${r.outcome === 'succeeded' ? '✓' : r.outcome === 'in_progress' ? '…' : '✕'} ${r.outcome.replace('_', ' ')}`;
    parts.push(
      `<g class="rollout rollout-${r.outcome}" data-image="${esc(r.image)}"><title>${esc(title)}</title>` +
        `<rect x="${f(x0)}" y="${y + 8}" width="${f(x1 - x0)}" height="16" rx="4" fill="${colour}" fill-opacity="0.22" stroke="${colour}"/>` +
        r.steps
          .map(
            (s) =>
              `<line x1="${f(x(s.at))}" x2="${f(x(s.at))}" y1="${y + 8}" y2="${y + 24}" stroke="${colour}" stroke-width="1.5"/>`,
          )
          .join('') +
        barLabel(g, label, x0, x1 + (r.rollbackAt !== undefined ? 10 : 0), y + 20, darker(colour)) +
        `</g>`,
    );
  }
  const rolloutTop = y + 8;
  y += 34;

  // ---- scenario lane ----
  const scenario = markers.filter((m) => m.kind === 'scenario');
  const scenarioLabels = besideMarkers(
    g,
    scenario.map((m) => ({ m, mx: x(m.at), width: textWidth(clip(m.label, 40), 10.5) })),
    6,
    4,
  );
  parts.push(laneLabel(g, 'scenario', y + 14));
  for (const m of scenario) {
    const mx = x(m.at);
    parts.push(
      `<g class="marker marker-scenario"><title>${esc(`${offset(m.at - start)}  ${m.detail}`)}</title><path d="M${f(mx)} ${y + 2} l4 5 l-4 5 l-4 -5 z" fill="#5b6474"/></g>`,
    );
  }
  for (const l of scenarioLabels) {
    parts.push(
      `<text x="${f(l.tx)}" y="${y + 11 + l.row * 13}" text-anchor="${l.anchor}" class="small" data-marker-x="${f(l.mx)}">${esc(clip(l.m.label, 40))}</text>`,
    );
  }
  y += 10 + 13 * Math.max(2, ...scenarioLabels.map((l) => l.row + 1));

  // ---- running tasks ----
  const top = y;
  const bottom = y + CHART_HEIGHT;
  const cy = (v: number) => bottom - (v / axis.top) * CHART_HEIGHT;
  parts.push(
    `<text x="${LEFT - 40}" y="${top + CHART_HEIGHT / 2 - 4}" text-anchor="end" class="lane">running</text>`,
    `<text x="${LEFT - 40}" y="${top + CHART_HEIGHT / 2 + 11}" text-anchor="end" class="lane">tasks</text>`,
  );
  for (let v = 0; v <= axis.top; v += axis.step) {
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${f(cy(v))}" y2="${f(cy(v))}" class="grid"/>` +
        `<text x="${LEFT - 6}" y="${f(cy(v) + 4)}" class="axis" text-anchor="end">${v}</text>`,
    );
  }
  // Stacked, step after: each band's lower edge is the sum of the bands below it.
  const lower = times.map(() => 0);
  bands.forEach((b, bi) => {
    const v = values[bi]!;
    if (v.every((n) => n === 0)) return;
    let d = '';
    let edge = '';
    for (let i = 0; i < times.length - 1; i++) {
      const x0 = x(times[i]!);
      const x1 = x(times[i + 1]!);
      const yTop = cy(lower[i]! + v[i]!);
      d += `${i === 0 ? 'M' : 'L'}${f(x0)} ${f(yTop)} L${f(x1)} ${f(yTop)} `;
      if (v[i]! > 0) edge += `M${f(x0)} ${f(yTop)} L${f(x1)} ${f(yTop)} `;
    }
    for (let i = times.length - 2; i >= 0; i--) {
      const yBottom = cy(lower[i]!);
      d += `L${f(x(times[i + 1]!))} ${f(yBottom)} L${f(x(times[i]!))} ${f(yBottom)} `;
    }
    const fill = b.role === 'canary' ? `url(#${idPrefix}-hatch-${cssId(b.revision)})` : b.colour;
    parts.push(
      `<g class="band band-${b.role}" data-revision="${esc(b.revision)}"><title>${esc(`${b.revision}${b.image ? ` (${b.image})` : ''}, ${b.role}`)}</title>` +
        `<path d="${d}Z" fill="${fill}" fill-opacity="${b.role === 'canary' ? 1 : 0.78}"/>` +
        `<path d="${edge}" fill="none" stroke="${darker(b.colour)}" stroke-width="1.2"/></g>`,
    );
    for (let i = 0; i < times.length; i++) lower[i]! += v[i]!;
  });
  // The primary's desired count.
  let dd = '';
  for (let i = 0; i < times.length - 1; i++) {
    dd += `${i === 0 ? 'M' : 'L'}${f(x(times[i]!))} ${f(cy(desired[i]!))} L${f(x(times[i + 1]!))} ${f(cy(desired[i]!))} `;
  }
  if (dd)
    parts.push(
      `<path class="desired" d="${dd}" fill="none" stroke="#1d2433" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
  // Under the step labels and the rollback's reason, so those keep their own tooltips.
  parts.push(
    `<rect class="hover" x="${LEFT}" y="${top}" width="${PLOT}" height="${CHART_HEIGHT}" fill="transparent"/>`,
  );

  // Steps: a dotted line and the share asked and served, at the top of the chart.
  const stepLabels = packLabels(
    inPlot(
      g,
      rollouts.flatMap((r) =>
        r.steps.map((s) => ({
          s,
          r,
          x: x(s.at) - textWidth(stepText(s)) / 2,
          width: textWidth(stepText(s)) + 2,
        })),
      ),
    ),
    3,
  );
  for (const r of rollouts) {
    for (const s of r.steps) {
      parts.push(
        `<line class="step-marker" x1="${f(x(s.at))}" x2="${f(x(s.at))}" y1="${top}" y2="${bottom}" stroke="${OUTCOME_COLOUR[r.outcome]}" stroke-dasharray="2 3" stroke-width="1.2"/>`,
      );
    }
  }
  for (const l of stepLabels) {
    const w = textWidth(stepText(l.s));
    const lx = l.x;
    const ly = top + 3 + l.row * 17;
    parts.push(
      `<g class="step-label"><title>${esc(`${offset(l.s.at - start)}  ${l.r.image} step ${l.s.index + 1}/${stepsOf(l.r)}: ${stepText(l.s)}${l.s.percent < 100 ? `, ${l.s.canaryTasks} canary task${l.s.canaryTasks === 1 ? '' : 's'}` : ', promoted to the primary'}`)}</title>` +
        `<rect x="${f(lx)}" y="${ly}" width="${f(w)}" height="14" rx="7" fill="#fff" stroke="${OUTCOME_COLOUR[l.r.outcome]}"/>` +
        `<text x="${f(lx + w / 2)}" y="${ly + 10.5}" text-anchor="middle" class="pill" fill="${darker(OUTCOME_COLOUR[l.r.outcome])}">${esc(stepText(l.s))}</text></g>`,
    );
  }
  const stepRows = Math.max(1, ...stepLabels.map((l) => l.row + 1));
  y = bottom + 14;

  // ---- the tasks each step ran on: counts where a person reads them, not only on hover ----
  const countAt = (t: number) => {
    let i = 0;
    while (i + 1 < times.length && times[i + 1]! <= t) i++;
    const byRevision = new Map<string, number>();
    bands.forEach((b, bi) => {
      byRevision.set(b.revision, (byRevision.get(b.revision) ?? 0) + values[bi]![i]!);
    });
    return byRevision;
  };
  const counted = rollouts.flatMap((r) =>
    r.steps.map((s, si) => {
      const text = stepCounts(countAt(stepSettled(r, si, end)), r.revision);
      return { s, r, text, x: x(s.at) + 3, width: textWidth(text, 10.5) };
    }),
  );
  if (counted.length > 0) {
    parts.push(laneLabel(g, 'tasks at step', y + 10));
    const packed = packLabels(inPlot(g, counted), 3);
    for (const l of packed) {
      parts.push(
        `<g><title>${esc(`${l.r.image} step ${l.s.index + 1}: tasks running as the step ended`)}</title><text class="small step-count" x="${f(l.x)}" y="${y + 10 + l.row * 13}">${esc(l.text)}</text></g>`,
      );
    }
    y += 8 + 13 * Math.max(1, ...packed.map((l) => l.row + 1));
  }

  // ---- alarms ----
  for (const alarm of data.alarms) {
    parts.push(alarmRow(g, alarm, y, x, end, start));
    y += ALARM_ROW;
  }
  if (data.alarms.length === 0) {
    parts.push(
      laneLabel(g, 'alarms', y + 12),
      `<text x="${LEFT}" y="${y + 12}" class="small muted">no alarms</text>`,
    );
    y += ALARM_ROW;
  }
  const alarmsBottom = y;
  y += 8;

  // ---- marker lanes ----
  for (const [lane, kinds] of Object.entries(MARKER_LANE_KINDS)) {
    const ms = markers.filter((m) => kinds.includes(m.kind));
    if (ms.length === 0 && lane !== 'pipeline') continue;
    parts.push(markerLane(g, lane, ms, y, x, start));
    y += 50;
  }

  // ---- rollbacks: a red line through every lane, the reason beside it ----
  for (const r of rollouts) {
    if (r.rollbackAt === undefined) continue;
    const rx = x(r.rollbackAt);
    const head = `✕ ${r.image} ${r.outcome === 'aborted' ? 'aborted' : 'rolled back'} to ${r.from}`;
    const reason = clip(r.reason ?? '', 96);
    const w = Math.min(Math.max(textWidth(head, 12), textWidth(reason, 11.5)) + 8, PLOT - 8);
    const lx = Math.max(LEFT + 4, rx + 8 + w > LEFT + PLOT ? rx - 8 - w : rx + 8);
    // Below the rows of step labels, so it covers none of them.
    const ly = top + 7 + stepRows * 17;
    parts.push(
      `<g class="rollback-marker" data-reason="${esc(r.reason ?? '')}" data-image="${esc(r.image)}"><title>${esc(`${offset(r.rollbackAt - start)}  ${r.image} ${r.outcome === 'aborted' ? 'aborted' : 'rolled back'} to ${r.from}: ${r.reason ?? ''}`)}</title>` +
        `<line x1="${f(rx)}" x2="${f(rx)}" y1="${rolloutTop - 4}" y2="${alarmsBottom}" stroke="${TONE.bad}" stroke-width="2"/>` +
        `<circle cx="${f(rx)}" cy="${rolloutTop + 8}" r="8" fill="${TONE.bad}"/>` +
        `<path d="M${f(rx - 3.5)} ${rolloutTop + 4.5} l7 7 M${f(rx + 3.5)} ${rolloutTop + 4.5} l-7 7" stroke="#fff" stroke-width="2"/>` +
        `<path d="M${f(rx)} ${ly + 17} L${f(lx < rx ? lx + w : lx)} ${ly + 17}" stroke="${TONE.bad}" stroke-width="1"/>` +
        `<rect x="${f(lx)}" y="${ly}" width="${f(w)}" height="36" rx="5" fill="#fff5f5" stroke="${TONE.bad}"/>` +
        `<text x="${f(lx + 8)}" y="${ly + 15}" class="reason">${esc(head)}</text>` +
        `<text x="${f(lx + 8)}" y="${ly + 29}" class="reason-text">${esc(reason)}</text></g>`,
    );
  }

  // ---- time axis ----
  const axisY = y + 4;
  const step = tickStep(span);
  for (let t = 0; t <= span; t += step) {
    const tx = x(start + t);
    const anchor = t === 0 ? 'start' : tx > LEFT + PLOT - 24 ? 'end' : 'middle';
    parts.unshift(`<line x1="${f(tx)}" x2="${f(tx)}" y1="${rolloutTop - 4}" y2="${axisY}" class="vgrid"/>`);
    parts.push(
      `<line x1="${f(tx)}" x2="${f(tx)}" y1="${axisY}" y2="${axisY + 5}" stroke="#5b6474"/>` +
        `<text x="${f(tx)}" y="${axisY + 17}" text-anchor="${anchor}" class="axis">${offset(t, step % 60_000 !== 0)}</text>` +
        `<text x="${f(tx)}" y="${axisY + 30}" text-anchor="${anchor}" class="axis muted">${wallClock(start + t, step % 60_000 !== 0)}</text>`,
    );
  }
  parts.push(
    `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${axisY}" y2="${axisY}" stroke="#5b6474"/>`,
    `<text x="${LEFT - 12}" y="${axisY + 17}" text-anchor="end" class="axis muted">virtual time</text>`,
    `<text x="${LEFT - 12}" y="${axisY + 30}" text-anchor="end" class="axis muted">UTC</text>`,
  );
  const height = axisY + 40;

  const hatches = bands
    .filter((b) => b.role === 'canary')
    .map(
      (b) =>
        `<pattern id="${idPrefix}-hatch-${cssId(b.revision)}" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">` +
        `<rect width="7" height="7" fill="${b.colour}" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="7" stroke="${b.colour}" stroke-width="3.5"/></pattern>`,
    )
    .join('');
  const svg =
    `<svg class="chart ${size === NARROW ? 'narrow' : 'wide'}" id="${idPrefix}-chart" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${esc(`${primary.key}: running tasks per revision over time, with rollouts, steps, rollbacks and alarms`)}" data-left="${LEFT}" data-plot="${PLOT}" data-top="${top}" data-bottom="${bottom}" data-start="${start}" data-end="${end}">` +
    `<defs>${hatches}</defs>${parts.join('')}` +
    `<line class="cursor" x1="0" x2="0" y1="${rolloutTop - 4}" y2="${axisY}" visibility="hidden"/>` +
    `</svg>`;
  return {
    svg,
    bands,
    series: {
      times,
      bands: bands.map((b, i) => ({
        key: b.key,
        label: `${b.revision}${b.image ? ` ${b.image}` : ''} ${b.role}`,
        values: values[i]!,
      })),
      desired,
    },
  };
}

/** Inside the bar when it fits, else after it, else before it. */
function barLabel(g: Frame, label: string, x0: number, x1: number, y: number, colour: string): string {
  const { left: LEFT, plot: PLOT } = g;
  const w = textWidth(label, 11.5);
  const [lx, anchor] =
    w + 8 < x1 - x0 ? [x0 + 6, 'start'] : x1 + 4 + w < LEFT + PLOT ? [x1 + 4, 'start'] : [x0 - 4, 'end'];
  return `<text x="${f(lx)}" y="${y}" text-anchor="${anchor}" class="bar-label" fill="${colour}">${esc(label)}</text>`;
}

/**
 * Marker labels in rows, each beside its own marker: right of it, running into the frame's right
 * margin if need be, or, when there is no room there, left of it, its end (text-anchor end) at the
 * marker, so the text touches it whatever the font's real width (the estimate, textWidth, is wider
 * than most text: a label started at `mx - gap - width` ended up to 20 px short of its marker).
 * Never over its own marker. The first row is level with the markers, so a label there may not run
 * over another marker.
 *
 *   frame 720 wide, marker at 600, label 60 wide, gap 8  -> right: x 608, anchor start
 *   marker at 680, label 60 wide                         -> left:  x 612 (box), tx 672, anchor end
 */
function besideMarkers<T extends { mx: number; width: number }>(
  g: Frame,
  items: T[],
  gap: number,
  rows: number,
): (T & { x: number; row: number; tx: number; anchor: 'start' | 'end' })[] {
  const edge = g.left + g.plot + g.right - 2;
  const placed = items.map((i) => {
    if (i.mx + gap + i.width <= edge)
      return { ...i, x: i.mx + gap, tx: i.mx + gap, anchor: 'start' as const };
    const x = Math.max(g.left, i.mx - gap - i.width);
    return { ...i, x, tx: x + i.width, anchor: 'end' as const };
  });
  const dots = items.map((i) => i.mx);
  const own = (d: number, x0: number, x1: number) =>
    Math.abs(d - (x0 - gap)) < 1 || Math.abs(d - (x1 + gap)) < 1;
  const blocked = (row: number, x0: number, x1: number) =>
    row === 0 && dots.some((d) => d > x0 - gap && d < x1 + gap && !own(d, x0, x1));
  return packLabels(placed, rows, blocked);
}

/** Labels start at their marker, or further left so that they end inside the plot. */
function inPlot<T extends { x: number; width: number }>(g: Frame, items: T[]): T[] {
  return items.map((i) => ({ ...i, x: Math.max(g.left, Math.min(i.x, g.left + g.plot - i.width)) }));
}

/**
 * A step's label: the share asked and the share served, which differ when the canary's task count
 * cannot make the asked share exactly (1 canary task beside 4 serves 20%, not 10%).
 *
 *   percent 10, served 20    -> '10% asked · 20% served'
 *   percent 50, served 50    -> '50% asked · 50% served'
 *   percent 100              -> '100%'  (promoted: the primary serves it all)
 */
export function stepText(s: { percent: number; served?: number }): string {
  // The share by healthy tasks as the step began; the card beside it gives the load balancer's own count.
  if (s.percent >= 100 || s.served === undefined) return `${s.percent}%`;
  return `${s.percent}% asked · ${s.served}% served`;
}

/**
 * When a step's tasks are counted: just before the rollout's next step, its rollback or its end
 * (the step's settled state, not the moment it asked for tasks, when none had started yet).
 */
function stepSettled(
  r: { steps: { at: number }[]; rollbackAt?: number; endedAt?: number },
  index: number,
  end: number,
): number {
  const next = r.steps[index + 1]?.at ?? r.rollbackAt ?? r.endedAt ?? end;
  return Math.max(r.steps[index]!.at, next - 1);
}

/**
 * The running tasks per revision, the rollout's new revision first, then the most tasks first.
 *
 *   {web:1: 4, web:2: 1}, new web:2  -> '1 × web:2 · 4 × web:1'
 *   {web:1: 0, web:2: 8}, new web:2  -> '8 × web:2'
 *   {}                               -> 'no tasks'
 */
export function stepCounts(running: Map<string, number>, revision?: string): string {
  const parts = [...running]
    .filter(([, n]) => n > 0)
    .sort(([a, n], [b, m]) => Number(b === revision) - Number(a === revision) || m - n)
    .map(([r, n]) => `${n} × ${r}`);
  return parts.length ? parts.join(' · ') : 'no tasks';
}

function stepsOf(r: { steps: { index: number }[] }): string {
  return String(Math.max(...r.steps.map((s) => s.index + 1)));
}

function laneLabel(g: Frame, text: string, y: number): string {
  return `<text x="${g.left - 12}" y="${y}" text-anchor="end" class="lane">${esc(text)}</text>`;
}

function alarmRow(
  g: Frame,
  alarm: AlarmSeries,
  y: number,
  x: (t: number) => number,
  end: number,
  start: number,
): string {
  const LEFT = g.left;
  const out: string[] = [];
  // The name, cut to fit the gutter beside its `gate` badge.
  const name = clip(alarm.name, Math.floor((LEFT - 16 - (alarm.gate ? 40 : 0)) / 7));
  out.push(
    `<g><title>${esc(alarm.name)}</title><text x="${LEFT - 12}" y="${y + 13}" text-anchor="end" class="lane alarm-name" data-alarm="${esc(alarm.name)}">${esc(name)}</text></g>`,
  );
  if (alarm.gate) {
    const bx = Math.max(2, LEFT - 12 - textWidth(name, 12.5) - 36);
    out.push(
      `<rect x="${f(bx)}" y="${y + 3}" width="32" height="13" rx="3" fill="#fdecec" stroke="${TONE.bad}" stroke-width="0.8"/>` +
        `<text x="${f(bx + 16)}" y="${y + 13}" text-anchor="middle" class="badge">gate</text>`,
    );
  }
  alarm.states.forEach((s, i) => {
    const next = alarm.states[i + 1]?.at ?? end;
    if (next <= s.at && i < alarm.states.length - 1) return;
    const x0 = x(s.at);
    const x1 = Math.max(x0 + 1, x(next));
    out.push(
      `<rect class="alarm-state alarm-${s.state}" x="${f(x0)}" y="${y + 3}" width="${f(x1 - x0)}" height="13" fill="${ALARM_COLOUR[s.state] ?? TONE.muted}"><title>${esc(`${alarm.name} ${s.state} from ${offset(s.at - start)}${s.reason ? `: ${s.reason}` : ''}`)}</title></rect>`,
    );
    if (s.state === 'ALARM' && x1 - x0 > 44) {
      out.push(`<text x="${f(x0 + 4)}" y="${y + 13}" class="small" fill="#fff">ALARM</text>`);
    }
  });
  return out.join('');
}

function markerLane(
  g: Frame,
  lane: string,
  ms: Marker[],
  y: number,
  x: (t: number) => number,
  start: number,
): string {
  const out = [laneLabel(g, lane, y + 14)];
  if (ms.length === 0) out.push(`<text x="${g.left}" y="${y + 14}" class="small muted">none</text>`);
  for (const m of ms) {
    const colour = m.tone ? TONE[m.tone] : m.kind === 'notification' ? '#6b4fbb' : TONE.info;
    out.push(
      `<g class="marker marker-${m.kind}"><title>${esc(`${offset(m.at - start)}  ${m.detail}`)}</title>` +
        (m.kind === 'notification'
          ? `<rect x="${f(x(m.at) - 5)}" y="${y + 4}" width="10" height="8" rx="2" fill="${colour}"/><path d="M${f(x(m.at) - 2)} ${y + 12} l0 3 l3 -3 z" fill="${colour}"/>`
          : `<circle cx="${f(x(m.at))}" cy="${y + 9}" r="5" fill="${colour}" stroke="#fff" stroke-width="1.5"/>`) +
        `</g>`,
    );
  }
  for (const l of besideMarkers(
    g,
    ms.map((m) => ({ m, mx: x(m.at), width: textWidth(clip(m.label, 44), 10.5) })),
    8,
    3,
  )) {
    out.push(
      `<text x="${f(l.tx)}" y="${y + 13 + l.row * 13}" text-anchor="${l.anchor}" class="small" data-marker-x="${f(l.mx)}" fill="${l.m.tone ? darker(TONE[l.m.tone]) : '#3a4252'}">${esc(clip(l.m.label, 44))}</text>`,
    );
  }
  return out.join('');
}

/** Two decimals at most: the SVG stays small. */
function f(n: number): string {
  return String(Math.round(n * 100) / 100);
}

export function cssId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A darker shade for text and outlines on a colour. */
export function darker(hex: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const c = (h: string) =>
    Math.round(Number.parseInt(h, 16) * 0.7)
      .toString(16)
      .padStart(2, '0');
  return `#${c(m[1]!)}${c(m[2]!)}${c(m[3]!)}`;
}
