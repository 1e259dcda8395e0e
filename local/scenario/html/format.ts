/**
 * Small pieces the HTML report is made of: escaping, times on the axis, colours that mean the
 * same everywhere (a revision's colour says how its rollout ended), and labels that do not overlap.
 */
import type { RolloutSpan, TimelineData } from '../timeline.ts';

/** Text for HTML and SVG content and attributes. */
export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `+0:05:30`, or `+0:05` for whole minutes on the axis. */
export function offset(ms: number, seconds = true): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const base = `+${h}:${String(m).padStart(2, '0')}`;
  return seconds ? `${base}:${String(s % 60).padStart(2, '0')}` : base;
}

/** `09:05:00` UTC */
export function wallClock(ms: number, seconds = true): string {
  const iso = new Date(ms).toISOString();
  return seconds ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** A tick interval giving about `target` ticks over `spanMs`. */
export function tickStep(spanMs: number, target = 10): number {
  const steps = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= target) ?? steps.at(-1)!;
}

/** A round upper bound for a count axis, and its tick step. */
export function countAxis(max: number): { top: number; step: number } {
  const m = Math.max(1, max);
  const step =
    m <= 5 ? 1 : m <= 10 ? 2 : m <= 25 ? 5 : m <= 50 ? 10 : m <= 100 ? 20 : Math.ceil(m / 500) * 100;
  return { top: Math.ceil((m + (m <= 5 ? 1 : 0)) / step) * step, step };
}

export const TONE = {
  good: '#1f9d55',
  bad: '#d64545',
  warn: '#d98e04',
  info: '#3b6fd8',
  muted: '#8a94a6',
};

export const OUTCOME_COLOUR: Record<RolloutSpan['outcome'], string> = {
  succeeded: '#2e9e5b',
  rolled_back: '#d64545',
  aborted: '#e07b24',
  superseded: '#c9a227',
  in_progress: '#7c5cc4',
};

/** Revisions no rollout made (what the services started on, or a hand-made update). */
const BASE_COLOURS = ['#4a78c2', '#5aa0c8', '#6c7fa8', '#3f97a0', '#8a7fc0'];

/** A colour per revision: how its rollout ended, or a calm blue for the ones no rollout made. */
export function revisionColours(data: TimelineData): Map<string, string> {
  const colours = new Map<string, string>();
  for (const r of data.rollouts) if (r.revision) colours.set(r.revision, OUTCOME_COLOUR[r.outcome]);
  let base = 0;
  for (const s of data.services) {
    for (const p of s.points) {
      for (const revision of Object.keys(p.running).sort(byRevision)) {
        if (!colours.has(revision)) colours.set(revision, BASE_COLOURS[base++ % BASE_COLOURS.length]!);
      }
    }
  }
  return colours;
}

/** `web:2` before `web:10`. */
export function byRevision(a: string, b: string): number {
  const [fa, ra] = splitRevision(a);
  const [fb, rb] = splitRevision(b);
  return fa.localeCompare(fb) || ra - rb;
}

function splitRevision(r: string): [string, number] {
  const i = r.lastIndexOf(':');
  return i < 0 ? [r, 0] : [r.slice(0, i), Number(r.slice(i + 1)) || 0];
}

/** Roughly how wide a label is in the chart's 11px font. */
export const textWidth = (text: string, px = 11) => text.length * px * 0.56 + 6;

/**
 * Places labels on up to `rows` rows so that none overlaps the one before it on its row; a label
 * that finds no room is dropped (its marker and tooltip stay).
 */
export function packLabels<T extends { x: number; width: number }>(
  items: T[],
  rows: number,
  blocked: (row: number, x0: number, x1: number) => boolean = () => false,
): (T & { row: number })[] {
  const ends = Array.from({ length: rows }, () => Number.NEGATIVE_INFINITY);
  const out: (T & { row: number })[] = [];
  for (const item of [...items].sort((a, b) => a.x - b.x)) {
    const row = ends.findIndex((end, r) => end + 4 <= item.x && !blocked(r, item.x, item.x + item.width));
    if (row < 0) continue;
    ends[row] = item.x + item.width;
    out.push({ ...item, row });
  }
  return out;
}

export const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
