/**
 * Webhook URLs read from SSM (the local SSM, through the real SDK client): decrypted, kept for the
 * container, redacted from every log line the moment they are read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../lib/aws.ts';
import { log, setLogSink } from '../lib/log.ts';
import { WebhookUnreadable, WebhookUnusable, WebhookUrls, webhookReadError } from '../lib/slack/webhook.ts';
import { World } from '../local/world.ts';
import { localClientConfig } from './helpers/world.ts';

const URL_ = 'https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/q9w8e7r6t5y4u3i2o1p0asdf';
let world: World;
let ssm: ReturnType<typeof createClients>['ssm'];

beforeAll(async () => {
  world = new World();
  const endpoint = await world.start();
  ssm = createClients(localClientConfig(endpoint)).ssm;
  world.ssm.operations.PutParameter({
    Name: '/ecs-autopilot/slack-webhook-url',
    Value: URL_,
    Type: 'SecureString',
  });
  world.ssm.operations.PutParameter({
    Name: '/ecs-autopilot/not-a-url',
    Value: 'hunter2-is-my-password',
    Type: 'SecureString',
  });
});
afterAll(() => world.stop());

async function error(p: Promise<unknown>): Promise<WebhookUnusable | WebhookUnreadable> {
  try {
    await p;
  } catch (e) {
    return e as WebhookUnusable | WebhookUnreadable;
  }
  throw new Error('expected an error');
}

describe('WebhookUrls', () => {
  it('reads the SecureString decrypted, once per container', async () => {
    const urls = new WebhookUrls(ssm);
    const before = world.apiCalls['ssm:GetParameter'] ?? 0;
    expect(await urls.url('/ecs-autopilot/slack-webhook-url')).toBe(URL_);
    expect(await urls.url('/ecs-autopilot/slack-webhook-url')).toBe(URL_);
    expect(world.apiCalls['ssm:GetParameter']).toBe(before + 1);
    urls.forget('/ecs-autopilot/slack-webhook-url');
    await urls.url('/ecs-autopilot/slack-webhook-url');
    expect(world.apiCalls['ssm:GetParameter']).toBe(before + 2);
  });

  it('masks the URL, its path and its token in every later log line, errors included', async () => {
    await new WebhookUrls(ssm).url('/ecs-autopilot/slack-webhook-url');
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const path = new URL(URL_).pathname;
      log.error('oops', {
        url: URL_,
        error: new Error(`POST ${path} failed`),
        token: path.split('/').at(-1),
      });
    } finally {
      setLogSink(previous);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('q9w8e7r6t5y4u3i2o1p0asdf');
    expect(lines[0]).not.toContain('B0ABCDEF2');
    expect(lines[0]).toContain('[redacted]');
  });

  it('a missing parameter fails for good, and is read again next time (not kept)', async () => {
    const urls = new WebhookUrls(ssm);
    const e = await error(urls.url('/ecs-autopilot/nothing-here'));
    expect(e).toBeInstanceOf(WebhookUnusable);
    expect(e.permanent).toBe(true);
    expect(e.message).toMatch(/^SSM parameter \/ecs-autopilot\/nothing-here does not exist/);
    world.ssm.operations.PutParameter({
      Name: '/ecs-autopilot/nothing-here',
      Value: URL_,
      Type: 'SecureString',
    });
    expect(await urls.url('/ecs-autopilot/nothing-here')).toBe(URL_);
  });

  it('a parameter that holds no URL fails for good without repeating its value', async () => {
    const e = await error(new WebhookUrls(ssm).url('/ecs-autopilot/not-a-url'));
    expect(e.permanent).toBe(true);
    expect(e.message).toBe('SSM parameter /ecs-autopilot/not-a-url does not hold an https URL');
  });

  it('SSM that cannot be reached is worth a retry', async () => {
    const unreachable = createClients({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      maxAttempts: 1,
    }).ssm;
    const e = await error(new WebhookUrls(unreachable).url('/ecs-autopilot/slack-webhook-url'));
    expect(e).toBeInstanceOf(WebhookUnreadable);
    expect(e.permanent).toBe(false);
    expect(e.message).toMatch(/^SSM parameter \/ecs-autopilot\/slack-webhook-url could not be read/);
  });
});

describe('webhookReadError: the examples of its comment', () => {
  it.each([
    ['ParameterNotFound', WebhookUnusable, 'SSM parameter /p does not exist: create it'],
    ['ParameterVersionNotFound', WebhookUnusable, 'SSM parameter /p does not exist in that version'],
    ['AccessDeniedException', WebhookUnusable, 'SSM parameter /p cannot be read: the functions need'],
    ['InvalidKeyId', WebhookUnusable, 'SSM parameter /p cannot be decrypted: '],
    ['ValidationException', WebhookUnusable, 'SSM parameter /p is not a valid parameter name'],
    ['ThrottlingException', WebhookUnreadable, 'SSM parameter /p could not be read (ThrottlingException)'],
    ['TimeoutError', WebhookUnreadable, 'SSM parameter /p could not be read (TimeoutError)'],
    // A name that happens to be an Object.prototype member is no known SSM error.
    ['constructor', WebhookUnreadable, 'SSM parameter /p could not be read (constructor)'],
  ])('%s -> %o', (name, type, text) => {
    const e = webhookReadError('/p', name);
    expect(e).toBeInstanceOf(type);
    expect(e.permanent).toBe(type === WebhookUnusable);
    expect(e.name).toBe(type.name);
    expect(e.message.startsWith(text)).toBe(true);
  });
});
