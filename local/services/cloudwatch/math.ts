/**
 * A subset of CloudWatch metric math, for GetMetricData expressions and metric-math alarms.
 * Source: CloudWatch User Guide, "Metric math syntax and functions" (awsdocs/amazon-cloudwatch-user-guide
 * doc_source/using-metric-math.md):
 * - "Missing values in a time series are treated as 0. If the value of a data point causes a function to
 *   attempt to divide by zero, the data point is dropped."
 * - SUM/AVG/MIN/MAX of a single time series give a scalar; of an array of time series, a time series.
 * - METRICS() returns the metrics of the request (not expressions); METRICS("x") those whose Id contains x.
 * Supported: numbers, ids, + - * / ^, unary -, ( ), [a, b], ABS CEIL FLOOR LOG LOG10 SUM AVG MIN MAX
 * METRICS FILL(x, S|REPEAT|LINEAR) PERIOD METRIC_COUNT DATAPOINT_COUNT DIFF RATE.
 * Anything else is refused with a ValidationError rather than computed wrongly.
 */
import { validationError } from './errors.ts';

/** A time series: ascending timestamps (ms) and their values. */
export interface TimeSeries {
  id: string;
  label: string;
  t: number[];
  v: number[];
}

export type MathValue = number | TimeSeries | TimeSeries[];

export interface MathContext {
  /** Series by query id (metrics and already evaluated expressions). */
  resolve(id: string): TimeSeries | TimeSeries[];
  /** The MetricStat queries of the request, for METRICS(). */
  metrics(): TimeSeries[];
  /** The period of a metric query, for PERIOD(). */
  periodOf(id: string): number | undefined;
  /** Every timestamp of the requested range, for FILL. */
  grid: number[];
  period: number;
}

type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'id'; v: string }
  | { k: 'neg'; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'arr'; items: Node[] }
  | { k: 'call'; fn: string; args: Node[] };

export function parseExpression(src: string): Node {
  let i = 0;
  const fail = (msg: string): never => {
    throw validationError(`Error in expression '${src}': ${msg}`);
  };
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const peek = () => {
    ws();
    return src[i];
  };
  const expect = (c: string) => {
    if (peek() !== c) fail(`expected '${c}' at position ${i}`);
    i++;
  };
  /** Comma-separated expressions up to `close` (an array's items, a call's arguments), maybe none. */
  const listUntil = (close: string): Node[] => {
    const items: Node[] = [];
    if (peek() !== close) {
      items.push(additive());
      while (peek() === ',') {
        i++;
        items.push(additive());
      }
    }
    expect(close);
    return items;
  };
  const primary = (): Node => {
    const c = peek();
    if (c === undefined) return fail('unexpected end of expression');
    if (c === '(') {
      i++;
      const e = additive();
      expect(')');
      return e;
    }
    if (c === '[') {
      i++;
      return { k: 'arr', items: listUntil(']') };
    }
    if (c === '"' || c === "'" || c === '“') {
      const close = c === '“' ? '”' : c;
      const end = src.indexOf(close, i + 1);
      if (end < 0) fail('unterminated string');
      const v = src.slice(i + 1, end);
      i = end + 1;
      return { k: 'str', v };
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { k: 'num', v: Number(num[0]) };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!word) return fail(`unexpected '${c}' at position ${i}`);
    i += word[0].length;
    if (peek() === '(') {
      i++;
      return { k: 'call', fn: word[0], args: listUntil(')') };
    }
    if (word[0] === 'REPEAT' || word[0] === 'LINEAR') return { k: 'str', v: word[0] };
    return { k: 'id', v: word[0] };
  };
  const unary = (): Node => {
    if (peek() === '-') {
      i++;
      return { k: 'neg', a: unary() };
    }
    return power();
  };
  const power = (): Node => {
    const a = primary();
    if (peek() === '^') {
      i++;
      return { k: 'bin', op: '^', a, b: unary() };
    }
    return a;
  };
  // `a - b - c` is (a - b) - c, and * / bind tighter than + -: the same loop at two levels.
  const leftToRight = (ops: string, operand: () => Node) => (): Node => {
    let a = operand();
    for (let c = peek(); c !== undefined && ops.includes(c); c = peek()) {
      i++;
      a = { k: 'bin', op: c, a, b: operand() };
    }
    return a;
  };
  const multiplicative = leftToRight('*/', unary);
  const additive = leftToRight('+-', multiplicative);
  const root = additive();
  if (peek() !== undefined) fail(`unexpected '${src[i]}' at position ${i}`);
  return root;
}

/** The ids an expression refers to (for evaluation order). */
export function referencedIds(node: Node): string[] {
  switch (node.k) {
    case 'id':
      return [node.v];
    case 'neg':
      return referencedIds(node.a);
    case 'bin':
      return [...referencedIds(node.a), ...referencedIds(node.b)];
    case 'arr':
      return node.items.flatMap(referencedIds);
    case 'call':
      return node.args.flatMap(referencedIds);
    default:
      return [];
  }
}

export function usesMetricsFunction(node: Node): boolean {
  switch (node.k) {
    case 'call':
      return node.fn === 'METRICS' || node.args.some(usesMetricsFunction);
    case 'neg':
      return usesMetricsFunction(node.a);
    case 'bin':
      return usesMetricsFunction(node.a) || usesMetricsFunction(node.b);
    case 'arr':
      return node.items.some(usesMetricsFunction);
    default:
      return false;
  }
}

const isSeries = (x: unknown): x is TimeSeries => typeof x === 'object' && x !== null && !Array.isArray(x);

function pointwise(ts: TimeSeries, f: (v: number, t: number, i: number) => number | undefined): TimeSeries {
  const t: number[] = [];
  const v: number[] = [];
  ts.t.forEach((time, i) => {
    const r = f(ts.v[i]!, time, i);
    if (r !== undefined && Number.isFinite(r)) {
      t.push(time);
      v.push(r);
    }
  });
  return { id: ts.id, label: ts.label, t, v };
}

function applyOp(op: string, x: number, y: number): number | undefined {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y === 0 ? undefined : x / y;
    default:
      return x ** y;
  }
}

/** TS op TS over the union of timestamps, a missing value counting as 0. */
function combine(op: string, a: TimeSeries, b: TimeSeries): TimeSeries {
  const ma = new Map(a.t.map((t, i) => [t, a.v[i]!]));
  const mb = new Map(b.t.map((t, i) => [t, b.v[i]!]));
  const times = [...new Set([...a.t, ...b.t])].sort((x, y) => x - y);
  const t: number[] = [];
  const v: number[] = [];
  for (const time of times) {
    const r = applyOp(op, ma.get(time) ?? 0, mb.get(time) ?? 0);
    if (r !== undefined && Number.isFinite(r)) {
      t.push(time);
      v.push(r);
    }
  }
  return { id: a.id, label: a.label, t, v };
}

function binary(op: string, a: MathValue, b: MathValue): MathValue {
  if (Array.isArray(a)) return a.map((x) => binary(op, x, b) as TimeSeries);
  if (Array.isArray(b)) return b.map((y) => binary(op, a, y) as TimeSeries);
  if (typeof a === 'number' && typeof b === 'number') {
    const r = applyOp(op, a, b);
    return r === undefined ? Number.NaN : r;
  }
  if (typeof a === 'number') return pointwise(b as TimeSeries, (y) => applyOp(op, a, y));
  if (typeof b === 'number') return pointwise(a, (x) => applyOp(op, x, b));
  return combine(op, a, b);
}

/** Per-timestamp reduction of an array of series; `zeroFill` treats a missing value as 0. */
function across(arr: TimeSeries[], f: (vals: number[]) => number, zeroFill: boolean): TimeSeries {
  const times = [...new Set(arr.flatMap((s) => s.t))].sort((x, y) => x - y);
  const maps = arr.map((s) => new Map(s.t.map((t, i) => [t, s.v[i]!])));
  const v = times.map((time) => {
    const vals: number[] = [];
    for (const m of maps) {
      const x = m.get(time);
      if (x !== undefined) vals.push(x);
      else if (zeroFill) vals.push(0);
    }
    return f(vals);
  });
  return { id: '', label: '', t: times, v };
}

const sum = (vs: number[]) => vs.reduce((a, b) => a + b, 0);

export function evaluate(node: Node, ctx: MathContext): MathValue {
  const ev = (n: Node) => evaluate(n, ctx);
  switch (node.k) {
    case 'num':
      return node.v;
    case 'str':
      throw validationError(`Unexpected string '${node.v}' in expression`);
    case 'id':
      return ctx.resolve(node.v);
    case 'neg':
      return binary('*', -1, ev(node.a));
    case 'bin':
      return binary(node.op, ev(node.a), ev(node.b));
    case 'arr':
      return node.items.flatMap((n) => {
        const x = ev(n);
        if (typeof x === 'number') throw validationError('An array can only hold time series');
        return Array.isArray(x) ? x : [x];
      });
    case 'call':
      return call(node.fn, node.args, ctx);
  }
}

function call(fn: string, args: Node[], ctx: MathContext): MathValue {
  const arg = (i: number) => {
    const n = args[i];
    if (!n) throw validationError(`${fn} expects more arguments`);
    return evaluate(n, ctx);
  };
  const series = (x: MathValue, f: (s: TimeSeries) => TimeSeries): MathValue => {
    if (typeof x === 'number') throw validationError(`${fn} expects a time series`);
    return Array.isArray(x) ? x.map(f) : f(x);
  };
  const perPoint = (f: (v: number) => number) => series(arg(0), (s) => pointwise(s, (v) => f(v)));
  switch (fn) {
    case 'ABS':
      return perPoint(Math.abs);
    case 'CEIL':
      return perPoint(Math.ceil);
    case 'FLOOR':
      return perPoint(Math.floor);
    case 'LOG':
      return perPoint(Math.log);
    case 'LOG10':
      return perPoint(Math.log10);
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX': {
      const x = arg(0);
      const reduce =
        fn === 'SUM'
          ? sum
          : fn === 'AVG'
            ? (vs: number[]) => sum(vs) / vs.length
            : fn === 'MIN'
              ? (vs: number[]) => Math.min(...vs)
              : (vs: number[]) => Math.max(...vs);
      if (typeof x === 'number') return x;
      if (isSeries(x)) return x.v.length ? reduce(x.v) : Number.NaN;
      // "Missing values are treated as 0" for SUM and AVG of an array.
      return across(x, reduce, fn === 'SUM' || fn === 'AVG');
    }
    case 'METRICS': {
      const filter = args[0]?.k === 'str' ? args[0].v : undefined;
      return ctx.metrics().filter((m) => filter === undefined || m.id.includes(filter));
    }
    case 'METRIC_COUNT': {
      const x = arg(0);
      return Array.isArray(x) ? x.length : 1;
    }
    case 'DATAPOINT_COUNT': {
      const x = arg(0);
      if (typeof x === 'number') throw validationError('DATAPOINT_COUNT expects a time series');
      return isSeries(x) ? x.v.length : across(x, (vs) => vs.length, false);
    }
    case 'PERIOD': {
      const n = args[0];
      const p = n?.k === 'id' ? ctx.periodOf(n.v) : undefined;
      if (p === undefined) throw validationError('PERIOD expects the Id of a metric');
      return p;
    }
    case 'DIFF':
    case 'RATE':
      return series(arg(0), (s) =>
        pointwise(s, (v, t, i) =>
          i === 0
            ? undefined
            : fn === 'DIFF'
              ? v - s.v[i - 1]!
              : (v - s.v[i - 1]!) / ((t - s.t[i - 1]!) / 1000),
        ),
      );
    case 'FILL': {
      const x = arg(0);
      const how = args[1];
      if (!how) throw validationError('FILL expects two arguments');
      const mode = how.k === 'str' ? how.v : undefined;
      const filler = mode ? undefined : evaluate(how, ctx);
      return series(x, (s) => fill(s, ctx.grid, mode, filler));
    }
    default:
      throw validationError(`Unsupported function ${fn} in the local CloudWatch metric math`);
  }
}

function fill(
  s: TimeSeries,
  grid: number[],
  mode: string | undefined,
  filler: MathValue | undefined,
): TimeSeries {
  const have = new Map(s.t.map((t, i) => [t, s.v[i]!]));
  const fillerAt = isSeries(filler) ? new Map(filler.t.map((t, i) => [t, filler.v[i]!])) : undefined;
  const t: number[] = [];
  const v: number[] = [];
  grid.forEach((time) => {
    const own = have.get(time);
    let val: number | undefined = own;
    if (val === undefined) {
      if (mode === 'REPEAT') {
        for (let j = t.length - 1; j >= 0 && val === undefined; j--) val = v[j];
        if (val === undefined) val = s.v[0];
      } else if (mode === 'LINEAR') {
        const before = s.t.filter((x) => x < time).pop();
        const after = s.t.find((x) => x > time);
        if (before !== undefined && after !== undefined) {
          const vb = have.get(before)!;
          const va = have.get(after)!;
          val = vb + ((va - vb) * (time - before)) / (after - before);
        }
      } else if (typeof filler === 'number') val = filler;
      else if (fillerAt) val = fillerAt.get(time);
    }
    if (val !== undefined && Number.isFinite(val)) {
      t.push(time);
      v.push(val);
    }
  });
  return { id: s.id, label: s.label, t, v };
}
