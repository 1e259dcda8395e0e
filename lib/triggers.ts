/**
 * What woke the pipeline, read from the event exactly as AWS delivers it, validated. Anything
 * unexpected becomes `{ kind: 'invalid', reason }`: logged and acknowledged, never a crash loop.
 *
 * Shapes accepted:
 *   ECR Image Action (PUSH, SUCCESS)                    -> push
 *   ECS Task State Change / Deployment State Change / Service Action -> service (a hint to reconcile)
 *   CloudWatch Alarm State Change, as an EventBridge event, as an SNS notification wrapped in an
 *   SNS Lambda event, or as an alarm's Lambda action payload -> alarm
 *   Scheduled Event                                     -> tick
 *   SQS event (Records with eventSource aws:sqs), the wake queue's messages -> wake (wake-ups, and
 *   pushes handed on by an invocation that ran out of time, lib/hand-on.ts)
 *   SQS event from the task event queue (lib/task-queue.ts): each body an ECS Task State Change as
 *   EventBridge sent it -> tasks (each message read on its own: one unreadable is that one's error)
 */
import { type HandOn, parseHandOnBody } from './hand-on.ts';
import { TASK_QUEUE_SUFFIX } from './task-queue.ts';
import { parseWakeBody, type WakeMessage } from './wake.ts';

export type ParsedTrigger =
  | {
      kind: 'push';
      /** The event's time: when the image was pushed (whole seconds). */
      pushedAt?: number;
      repository: string;
      tag?: string;
      digest: string;
      registry: string;
      region: string;
      account: string;
    }
  | {
      kind: 'service';
      source: 'task' | 'deployment' | 'service-action';
      cluster?: string;
      service: string;
      detail: string;
      task?: TaskEventFacts;
      /** A deployment or service-action event's `time` (ms since the epoch; EventBridge gives whole seconds). */
      at?: number;
    }
  | {
      kind: 'alarm';
      alarmName: string;
      state: string;
      previousState?: string;
      /**
       * When the alarm entered its previous state, and why (EventBridge and the Lambda action carry
       * them; SNS does not): an OK told after an ALARM whose own event was lost still says it.
       */
      previousAt?: number;
      previousReason?: string;
      reason: string;
      /** When the alarm entered this state (epoch ms), where the event says: orders two events of one alarm. */
      at?: number;
      shape: 'eventbridge' | 'sns' | 'lambda-action';
    }
  | { kind: 'tick' }
  | {
      kind: 'wake';
      /** Each message: its id (for a batch item failure), and what it carries, or why it is unreadable. */
      messages: { id: string; wake: WakeMessage | { invalid: string } }[];
      /** Pushes handed on (lib/hand-on.ts), each with its message's id; absent when there are none. */
      handOns?: { id: string; handOn: HandOn }[];
    }
  | {
      kind: 'tasks';
      /** Each message: its id (for a batch item failure), and its task event, or why it is not one. */
      messages: { id: string; event: TaskTrigger | { invalid: string } | { ignored: string } }[];
    }
  | { kind: 'invalid'; reason: string }
  | { kind: 'ignored'; reason: string };

/** A task event of a service: what the task event queue's messages carry. */
export type TaskTrigger = Extract<ParsedTrigger, { kind: 'service' }> & { task: TaskEventFacts };

/**
 * What an ECS Task State Change tells of one task (ecs_task_events.html): its revision, last and
 * desired status, stop code and reason, the containers' exit codes, health (when present: ECS does
 * not always put it in the event) and `version`, which grows with each change of the task
 * (duplicates share it; higher is later). Folded into the record by lib/task-events.ts.
 */
export interface TaskEventFacts {
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  version: number;
  taskDefinitionArn: string;
  stopCode?: string;
  stoppedReason?: string;
  healthStatus?: string;
  /** Epoch ms. */
  stoppedAt?: number;
  /** Epoch ms: when it reached RUNNING. */
  startedAt?: number;
  containers: { name: string; exitCode?: number; reason?: string }[];
}

const MAX_EVENT_BYTES = 256 * 1024; // EventBridge's event size limit

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function parseTrigger(event: unknown): ParsedTrigger {
  if (!isObj(event))
    return { kind: 'invalid', reason: `event is ${event === null ? 'null' : typeof event}, not an object` };
  // A batch of SQS messages (up to 10,000 of them in 6 MB, Lambda's payload limit) or of SNS
  // notifications is no EventBridge event: its messages are sized one by one (parseTaskBody).
  if (Array.isArray(event.Records)) {
    const first = isObj(event.Records[0]) ? event.Records[0] : {};
    if (first.eventSource !== 'aws:sqs') return parseSns(event.Records);
    return str(first.eventSourceARN)?.endsWith(TASK_QUEUE_SUFFIX)
      ? parseTaskBatch(event.Records)
      : parseWakes(event.Records);
  }
  let size = 0;
  try {
    size = Buffer.byteLength(JSON.stringify(event));
  } catch {
    return { kind: 'invalid', reason: 'event cannot be serialised' };
  }
  return parseEvent(event, size);
}

/** An EventBridge event (or a CloudWatch alarm action) of `size` bytes, serialised. */
function parseEvent(event: Obj, size: number): ParsedTrigger {
  if (size > MAX_EVENT_BYTES)
    return { kind: 'invalid', reason: `event is ${size} bytes, over EventBridge's 256 KB limit` };
  if (event.source === 'aws.cloudwatch' && isObj(event.alarmData)) return parseAlarmAction(event);

  const detailType = str(event['detail-type']);
  const source = str(event.source);
  if (!detailType || !source) return { kind: 'invalid', reason: 'event has no "detail-type" or "source"' };
  const detail = event.detail;
  if (!isObj(detail)) return { kind: 'invalid', reason: `${detailType} event has no detail object` };

  switch (`${source}|${detailType}`) {
    case 'aws.ecr|ECR Image Action':
      return parsePush(event, detail);
    case 'aws.ecs|ECS Task State Change':
      return parseTask(detail);
    case 'aws.ecs|ECS Deployment State Change':
    case 'aws.ecs|ECS Service Action':
      return parseServiceEvent(
        event,
        detail,
        detailType === 'ECS Service Action' ? 'service-action' : 'deployment',
      );
    case 'aws.cloudwatch|CloudWatch Alarm State Change':
      return alarmFromData(
        detail,
        'eventbridge',
        'alarm event without detail.alarmName or detail.state.value',
      );
    case 'aws.events|Scheduled Event':
      return { kind: 'tick' };
    default:
      return { kind: 'invalid', reason: `unexpected event: source "${source}", detail-type "${detailType}"` };
  }
}

function parsePush(event: Obj, detail: Obj): ParsedTrigger {
  if (detail['action-type'] !== 'PUSH')
    return { kind: 'ignored', reason: `ECR action ${String(detail['action-type'])} is not a push` };
  if (detail.result !== 'SUCCESS')
    return { kind: 'ignored', reason: `ECR push result ${String(detail.result)}` };
  const repository = str(detail['repository-name']);
  const digest = str(detail['image-digest']);
  if (!repository || !digest)
    return { kind: 'invalid', reason: 'ECR push without repository-name or image-digest' };
  if (!/^sha256:[0-9a-f]{64}$/.test(digest) && !/^sha256:[0-9a-f]+$/.test(digest)) {
    return { kind: 'invalid', reason: `image-digest "${digest}" is not a sha256 digest` };
  }
  const account = str(event.account);
  const region = str(event.region);
  if (!account || !region) return { kind: 'invalid', reason: 'ECR push without account or region' };
  const time = Date.parse(str(event.time) ?? '');
  return {
    kind: 'push',
    ...(Number.isFinite(time) ? { pushedAt: time } : {}),
    repository,
    tag: str(detail['image-tag']),
    digest,
    registry: `${account}.dkr.ecr.${region}.amazonaws.com`,
    region,
    account,
  };
}

function parseTask(detail: Obj): ParsedTrigger {
  const clusterArn = str(detail.clusterArn);
  const group = str(detail.group);
  const taskArn = str(detail.taskArn);
  const lastStatus = str(detail.lastStatus);
  if (!clusterArn || !taskArn || !lastStatus) {
    return { kind: 'invalid', reason: 'task event without clusterArn, taskArn or lastStatus' };
  }
  if (!group?.startsWith('service:'))
    return { kind: 'ignored', reason: `task ${taskArn} belongs to no service (group ${group ?? 'none'})` };
  const version = typeof detail.version === 'number' ? detail.version : Number(detail.version);
  return {
    kind: 'service',
    source: 'task',
    cluster: nameFromArn(clusterArn),
    service: group.slice('service:'.length),
    detail: `task ${lastStatus}`,
    task: {
      taskArn,
      lastStatus,
      desiredStatus: str(detail.desiredStatus) ?? lastStatus,
      version: Number.isFinite(version) ? version : 0,
      taskDefinitionArn: str(detail.taskDefinitionArn) ?? '',
      ...optional('stopCode', str(detail.stopCode)),
      ...optional('stoppedReason', str(detail.stoppedReason)),
      ...optional('healthStatus', str(detail.healthStatus)),
      ...optional('stoppedAt', epoch(detail.stoppedAt)),
      ...optional('startedAt', epoch(detail.startedAt)),
      containers: (Array.isArray(detail.containers) ? detail.containers : []).filter(isObj).map((c) => ({
        name: str(c.name) ?? '',
        ...optional('exitCode', typeof c.exitCode === 'number' ? c.exitCode : undefined),
        ...optional('reason', str(c.reason)),
      })),
    },
  };
}

/** `{ [key]: value }`, or nothing when the value is undefined (optional fields stay absent). */
const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** An ISO timestamp as epoch ms: '2020-01-23T17:57:58.103Z' -> 1579802278103; anything else -> undefined. */
function epoch(v: unknown): number | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
}

function parseServiceEvent(event: Obj, detail: Obj, source: 'deployment' | 'service-action'): ParsedTrigger {
  const resources = Array.isArray(event.resources) ? event.resources : [];
  const arn = str(resources[0]);
  if (!arn?.includes(':service/'))
    return { kind: 'invalid', reason: `${source} event without a service ARN in resources` };
  // arn:aws:ecs:region:account:service/cluster/name (long format) or service/name (old format, no cluster).
  const parts = arn.slice(arn.indexOf(':service/') + ':service/'.length).split('/');
  const service = parts.at(-1)!;
  const cluster =
    parts.length > 1 ? parts[0] : str(detail.clusterArn) && nameFromArn(String(detail.clusterArn));
  const at = epoch(event.time);
  return {
    kind: 'service',
    source,
    cluster,
    service,
    detail: str(detail.eventName) ?? source,
    ...optional('at', at),
  };
}

/**
 * Lambda's SQS event: up to the mapping's batch size of wake-up messages (lib/wake.ts) and pushes
 * handed on (lib/hand-on.ts). An unreadable one is kept as such: acknowledged and logged, never
 * retried into the dead-letter queue in a loop.
 */
function parseWakes(records: unknown[]): ParsedTrigger {
  const messages: { id: string; wake: WakeMessage | { invalid: string } }[] = [];
  const handOns: { id: string; handOn: HandOn }[] = [];
  for (const [i, r] of records.entries()) {
    const record = isObj(r) ? r : {};
    const id = str(record.messageId) ?? `#${i}`;
    const handOn = parseHandOnBody(record.body);
    if (typeof handOn === 'object') {
      handOns.push({ id, handOn });
      continue;
    }
    const wake = handOn ?? parseWakeBody(record.body);
    messages.push({ id, wake: typeof wake === 'string' ? { invalid: wake } : wake });
  }
  return { kind: 'wake', messages, ...(handOns.length > 0 && { handOns }) };
}

/**
 * The task event queue's batch: each body is the EventBridge event the ecs-task rule matched, as
 * EventBridge sends it to an SQS target (the whole event as JSON). Each message is read on its own:
 * one that is not a task event of a service is that message's error (logged and acknowledged, as
 * retrying cannot mend it), never the batch's.
 *
 *   body '{"source":"aws.ecs","detail-type":"ECS Task State Change",…}'  -> its task event
 *   body 'not json'                  -> invalid: "message m1: body is not JSON (…)"
 *   body '{"source":"aws.ecr",…}'    -> invalid: "message m1: not an ECS Task State Change (…)"
 *   a task of no service (group family:…) -> ignored
 */
function parseTaskBatch(records: unknown[]): ParsedTrigger {
  const messages = records.map((r, i) => {
    const record = isObj(r) ? r : {};
    const id = str(record.messageId) ?? `#${i}`;
    return { id, event: parseTaskBody(id, record.body) };
  });
  return { kind: 'tasks', messages };
}

function parseTaskBody(id: string, body: unknown): TaskTrigger | { invalid: string } | { ignored: string } {
  if (typeof body !== 'string') return { invalid: `message ${id}: no body` };
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (e) {
    return { invalid: `message ${id}: body is not JSON (${(e as Error).message})` };
  }
  // The body is the event EventBridge sent, serialised: its length is the event's size.
  const parsed =
    isObj(event) && !Array.isArray(event.Records) ? parseEvent(event, Buffer.byteLength(body)) : undefined;
  if (parsed?.kind === 'service' && parsed.task) return parsed as TaskTrigger;
  if (parsed?.kind === 'ignored') return { ignored: `message ${id}: ${parsed.reason}` };
  const what = isObj(event)
    ? `source "${String(event.source)}", detail-type "${String(event['detail-type'])}"`
    : `a JSON ${Array.isArray(event) ? 'array' : typeof event}`;
  const why = parsed?.kind === 'invalid' ? `: ${parsed.reason}` : '';
  return { invalid: `message ${id}: not an ECS Task State Change (${what})${why}` };
}

function parseSns(records: unknown[]): ParsedTrigger {
  const sns = isObj(records[0]) && isObj(records[0].Sns) ? records[0].Sns : undefined;
  const message = sns ? str(sns.Message) : undefined;
  if (!message) return { kind: 'invalid', reason: 'SNS event without Records[0].Sns.Message' };
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    return { kind: 'invalid', reason: 'SNS message is not JSON (not a CloudWatch alarm notification)' };
  }
  if (!isObj(body)) return { kind: 'invalid', reason: 'SNS message is not a JSON object' };
  const fields = {
    alarmName: str(body.AlarmName),
    state: str(body.NewStateValue),
    previousState: str(body.OldStateValue),
    reason: str(body.NewStateReason),
    at: alarmTime(body.StateChangeTime),
  };
  return alarmTrigger(fields, 'sns', 'SNS message has no AlarmName or NewStateValue');
}

function parseAlarmAction(event: Obj): ParsedTrigger {
  const why = 'alarm action payload without alarmData.alarmName or state.value';
  return alarmFromData(event.alarmData as Obj, 'lambda-action', why);
}

type AlarmShape = Extract<ParsedTrigger, { kind: 'alarm' }>['shape'];

/**
 * The EventBridge event's `detail` and the Lambda action's `alarmData` carry the same members:
 * alarmName, state.value, state.reason, previousState.value.
 */
function alarmFromData(data: Obj, shape: AlarmShape, missing: string): ParsedTrigger {
  const state = isObj(data.state) ? data.state : {};
  const previous = isObj(data.previousState) ? data.previousState : {};
  const fields = {
    alarmName: str(data.alarmName),
    state: str(state.value),
    previousState: str(previous.value),
    previousAt: alarmTime(previous.timestamp),
    previousReason: str(previous.reason),
    reason: str(state.reason),
    at: alarmTime(state.timestamp),
  };
  return alarmTrigger(fields, shape, missing);
}

/** An alarm trigger, or `missing` as the reason it is invalid when the name or the new state is absent. */
function alarmTrigger(
  f: {
    alarmName?: string;
    state?: string;
    previousState?: string;
    previousAt?: number;
    previousReason?: string;
    reason?: string;
    at?: number;
  },
  shape: AlarmShape,
  missing: string,
): ParsedTrigger {
  if (!f.alarmName || !f.state) return { kind: 'invalid', reason: missing };
  const { alarmName, state, previousState, reason } = f;
  return {
    kind: 'alarm',
    alarmName,
    state,
    previousState,
    ...optional('previousAt', f.previousAt),
    ...optional('previousReason', f.previousReason),
    reason: reason ?? '',
    ...optional('at', f.at),
    shape,
  };
}

/**
 * CloudWatch's state timestamps: '2019-10-02T17:04:40.987+0000' (EventBridge, no colon in the
 * offset) or '2019-10-02T17:04:40.987Z' -> epoch ms; anything else -> undefined.
 */
function alarmTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  return epoch(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

/** The resource name at the end of an ARN: `arn:aws:ecs:us-east-1:1:cluster/prod` -> `prod`. */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
