/**
 * What a rule target receives: the whole event, or `Input` (constant JSON), `InputPath` (a part of
 * the event) or `InputTransformer` (`InputPathsMap` + `InputTemplate`).
 *
 * Source: EventBridge API Reference, `Target.Input`/`InputPath`/`InputTransformer` (doc strings in
 * @aws-sdk/client-eventbridge `models_0.d.ts`): "You must use JSON dot notation, not bracket
 * notation"; placeholders `<name>` in the template are filled from `InputPathsMap`; the reserved
 * names `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time`,
 * `aws.events.event` and `aws.events.event.json` (EventBridge User Guide, "Amazon EventBridge input
 * transformation").
 */
import type { AwsEvent } from '../../core/service.ts';

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface TargetInput {
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

/** Checks a target's input settings; returns why they are not valid, or undefined. */
export function inputProblem(t: TargetInput): string | undefined {
  const set = [t.Input, t.InputPath, t.InputTransformer].filter((v) => v !== undefined).length;
  if (set > 1) return 'Only one of Input, InputPath, or InputTransformer can be provided.';
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      return 'Input is not valid JSON text.';
    }
  }
  if (t.InputPath !== undefined && !validPath(t.InputPath)) return `InputPath ${t.InputPath} is not valid.`;
  if (t.InputTransformer) {
    if (typeof t.InputTransformer.InputTemplate !== 'string') return 'InputTemplate is required.';
    for (const [key, path] of Object.entries(t.InputTransformer.InputPathsMap ?? {})) {
      if (key.startsWith('aws.')) return `InputPathsMap key ${key} is reserved.`;
      if (!validPath(path)) return `InputPathsMap value ${path} is not valid.`;
    }
  }
  return undefined;
}

const validPath = (path: string) => /^\$(\.[^.[\]]+)*$/.test(path);

/** The value at a JSON dot-notation path (`$`, `$.detail`, `$.detail.state`). */
export function atPath(event: unknown, path: string): unknown {
  let node: unknown = event;
  for (const step of path.split('.').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

export interface RuleRef {
  name: string;
  arn: string;
}

/** The payload a target gets for `event`, as parsed JSON (what a Lambda handler would see). */
export function targetPayload(t: TargetInput, event: AwsEvent, rule: RuleRef, ingestedAt: number): unknown {
  if (t.Input !== undefined) return JSON.parse(t.Input);
  if (t.InputPath !== undefined) return clone(atPath(event, t.InputPath) ?? null);
  if (t.InputTransformer) return transform(t.InputTransformer, event, rule, ingestedAt);
  return clone(event);
}

const clone = (v: unknown) => JSON.parse(JSON.stringify(v));

function transform(it: InputTransformer, event: AwsEvent, rule: RuleRef, ingestedAt: number): unknown {
  const values = new Map<string, unknown>();
  for (const [key, path] of Object.entries(it.InputPathsMap ?? {})) values.set(key, atPath(event, path));
  values.set('aws.events.rule-arn', rule.arn);
  values.set('aws.events.rule-name', rule.name);
  values.set('aws.events.event.ingestion-time', new Date(ingestedAt).toISOString());
  values.set('aws.events.event', event);
  values.set('aws.events.event.json', event);

  const template = it.InputTemplate;
  const jsonTemplate = /^\s*[{[]/.test(template);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    if (c === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (values.has(name)) {
        const v = values.get(name);
        if (inString) {
          // Inside quotes the value becomes part of the string.
          const text = typeof v === 'string' ? v : JSON.stringify(v ?? null);
          out += JSON.stringify(text).slice(1, -1);
        } else if (jsonTemplate || typeof v !== 'string') {
          out += JSON.stringify(v ?? null);
        } else {
          out += v;
        }
        i = end;
        continue;
      }
    }
    out += c;
  }
  try {
    return JSON.parse(out);
  } catch {
    return out;
  }
}
