/**
 * What the local load balancer really served: requests per target group and task-definition
 * revision, kept as time segments at a constant rate (the load balancer accounts between changes,
 * so within a segment the rate is exact), so that the share a revision served over any window, a
 * rollout step's, can be read afterwards. Consecutive segments at the same rate are merged, so a
 * steady hour is one segment.
 */

interface Segment {
  from: number;
  to: number;
  requests: number;
}

export interface ServedKey {
  targetGroupArn: string;
  /** The task-definition ARN of the tasks that served. */
  revision: string;
  /** `cluster/service` of the tasks that served. */
  service?: string;
}

export class ServedLedger {
  private readonly series = new Map<string, { key: ServedKey; segments: Segment[] }>();

  record(key: ServedKey, from: number, to: number, requests: number): void {
    if (!(to > from) || !(requests > 0)) return;
    const id = `${key.targetGroupArn}|${key.revision}|${key.service ?? ''}`;
    let s = this.series.get(id);
    if (!s) {
      s = { key, segments: [] };
      this.series.set(id, s);
    }
    const last = s.segments.at(-1);
    const rate = requests / (to - from);
    if (last && last.to === from && Math.abs(last.requests / (last.to - last.from) - rate) <= 1e-12 * rate) {
      last.to = to;
      last.requests += requests;
      return;
    }
    s.segments.push({ from, to, requests });
  }

  /**
   * Requests served in [from, to) by each key that `keep` accepts.
   *
   *   a segment 0–60 s of 600 requests, window 30–90 s  → 300
   */
  between(
    from: number,
    to: number,
    keep: (k: ServedKey) => boolean = () => true,
  ): { key: ServedKey; requests: number }[] {
    const out: { key: ServedKey; requests: number }[] = [];
    for (const { key, segments } of this.series.values()) {
      if (!keep(key)) continue;
      let requests = 0;
      for (const seg of segments) {
        const overlap = Math.min(to, seg.to) - Math.max(from, seg.from);
        if (overlap > 0) requests += (seg.requests * overlap) / (seg.to - seg.from);
      }
      if (requests > 0) out.push({ key, requests });
    }
    return out;
  }
}
