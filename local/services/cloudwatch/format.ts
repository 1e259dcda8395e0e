/**
 * How CloudWatch writes numbers and times into alarm reasons, `reasonData`, events and SNS messages.
 *
 * CloudWatch is a Java service: doubles print as Java's `Double.toString` does (`50.0`, `0.0666851903306472`,
 * `1.0E7`), and its timestamps look like `2019-10-02T17:04:40.989+0000`. Datapoints in a reason are
 * `99.50160229693434 (02/10/19 16:59:00)`: dd/MM/yy HH:mm:ss, UTC.
 * Source: the "State change for a single-metric alarm" sample, CloudWatch User Guide, "Alarm events and
 * EventBridge" (test/fixtures/cloudwatch/alarm-state-change-alarm.json).
 */

/** A number that CloudWatch serialises as a Java double (`3.0`, not `3`). */
export class JavaDouble {
  constructor(readonly value: number) {}
}

export const dbl = (value: number): JavaDouble => new JavaDouble(value);

/** Java's `Double.toString`: plain notation in [1e-3, 1e7), computerised scientific notation outside it. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa = '0', exponent = '0'] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** JSON text in which `JavaDouble`s print as Java doubles; everything else as `JSON.stringify` does. */
export function javaJson(value: unknown): string {
  if (value instanceof JavaDouble) return javaDouble(value.value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => javaJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${javaJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2019-10-02T17:04:40.989+0000`, the format of `state.timestamp`, `queryDate`, `StateChangeTime`. */
export function cwTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
  );
}

/** `02/10/19 16:59:00`, how a datapoint's time appears in a state reason. */
export function reasonTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `2026-01-21T16:55:46.303Z`, SNS's `Timestamp`. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Region names as alarm notifications spell them ("Region": "US East (N. Virginia)", Subject
 * `ALARM: "name" in EU (Ireland)`). Source: real alarm SNS messages (e.g. aws/aws-lambda-go issue
 * samples and captured notifications: "US East (N. Virginia)", "EU (Ireland)", "Asia Pacific (Sydney)").
 */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'sa-east-1': 'South America (Sao Paulo)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-south-1': 'EU (Milan)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'me-south-1': 'Middle East (Bahrain)',
  'af-south-1': 'Africa (Cape Town)',
};

export function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}
