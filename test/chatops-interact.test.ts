/**
 * Clicks on the Slack buttons, end to end: the real function URL handler (middy, a payload-format
 * 2.0 event with a base64 body), requests signed with Slack's real scheme, the signing secret in the
 * local SSM, the records and the replay keys in dynalite, the rollout in the local ECS, and the
 * buttons taken from the messages the pipeline actually posted to the loopback Slack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../lib/aws.ts';
import type { InteractDeps } from '../lib/chatops/interact.ts';
import {
  createInteractHandler,
  type FunctionUrlEvent,
  secretReader,
  slackApi,
} from '../lib/chatops/lambda.ts';
import { sign } from '../lib/chatops/verify.ts';
import { DEFAULT_SIGNING_SECRET_PARAMETER } from '../lib/env.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { actionOf, parseButtonValue } from '../lib/slack/buttons.ts';
import { LocalSlack } from '../local/services/slack/index.ts';
import { type PipelineWorld, pipelineWorld } from './helpers/pipeline-world.ts';

const MIN = 60_000;
const SECRET = 'e3b0c44298fc1c149afbf4c8996fb924-local';
const TOKEN = 'verificationTokenXyz123';
const APPROVER = 'U123APPROVE';
const context = { awsRequestId: 'req-slack', functionName: 'ecs-autopilot-slackInteract' } as any;

interface Click {
  action: string;
  user?: string;
  /** The button's value; default the one on the latest message that has this action. */
  value?: string;
  /** Unix seconds the request is signed at; default now. */
  timestamp?: number;
  secret?: string;
}

async function setUp(
  images: Record<string, unknown> = {},
  target: Record<string, unknown> = { approvers: [APPROVER] },
  more: Partial<InteractDeps> = {},
) {
  const t = await pipelineWorld({
    images,
    slack: { timeoutMs: 1000 },
    target: { buttons: true, ...target },
  });
  t.world.ssm.operations.PutParameter({
    Name: DEFAULT_SIGNING_SECRET_PARAMETER,
    Value: SECRET,
    Type: 'SecureString',
    Overwrite: true,
  });
  const clients = createClients({
    endpoint: t.world.endpoint!,
    region: t.world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const secret = secretReader(clients.ssm);
  const responseUrl = t.slack!.webhook('response_url');
  const deps: InteractDeps = {
    config: t.pipeline.config,
    store: t.store,
    command: (cluster, service, command) => t.pipeline.command(cluster, service, command),
    dynamodb: clients.dynamodb,
    table: 'ecs-autopilot',
    signingSecret: () => secret(DEFAULT_SIGNING_SECRET_PARAMETER),
    now: () => t.world.now(),
    respond: async (url, message) => {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(message) });
      if (!res.ok) throw new Error(`response_url answered ${res.status}`);
    },
    trustResponseUrl: (url) => url === responseUrl,
    ...more,
  };
  const handler = createInteractHandler(async () => deps);

  /** The latest message the pipeline posted with this button on it. */
  const messageWith = (action: string) =>
    t
      .slack!.messages()
      .filter((m) => m.blocks?.some((b: any) => b.type === 'actions'))
      .reverse()
      .find((m) =>
        m.blocks.some(
          (b: any) => b.type === 'actions' && b.elements.some((e: any) => actionOf(e.action_id) === action),
        ),
      );

  const request = (c: Click): FunctionUrlEvent => {
    const message = messageWith(c.action === 'resume' ? 'pause' : c.action);
    const button = message?.blocks
      .flatMap((b: any) => (b.type === 'actions' ? b.elements : []))
      .find((e: any) => actionOf(e.action_id) === (c.action === 'resume' ? 'pause' : c.action));
    const payload = {
      type: 'block_actions',
      token: TOKEN,
      user: { id: c.user ?? APPROVER, username: 'someone' },
      team: { id: 'T0LOCAL00' },
      channel: { id: 'C0DEPLOYS' },
      container: { type: 'message', message_ts: '1767258000.000100', channel_id: 'C0DEPLOYS' },
      message: { ts: '1767258000.000100', text: message?.text, blocks: message?.blocks },
      response_url: responseUrl,
      actions: [
        {
          type: 'button',
          action_id: `autopilot.${c.action}`,
          block_id: 'autopilot-actions',
          value: c.value ?? button?.value,
          action_ts: '1767258001.000200',
        },
      ],
    };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(c.timestamp ?? Math.floor(t.world.now() / 1000));
    return {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': timestamp,
        'X-Slack-Signature': sign(c.secret ?? SECRET, timestamp, body),
      },
      body: Buffer.from(body, 'utf8').toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST' } },
    };
  };
  const send = (event: FunctionUrlEvent) => handler(event, context);
  const click = (c: Click) => send(request(c));
  const responses = () => t.slack!.messages('response_url');
  const record = (): Promise<ServiceRecord> => t.store.get('prod', 'web');
  return { t, click, request, send, responses, record };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

function noSecretsLogged(t: PipelineWorld) {
  expect(t.logs.some((l) => l.includes('slack.'))).toBe(true);
  expect(t.logs.filter((l) => l.includes(SECRET) || l.includes(TOKEN))).toEqual([]);
}

/**
 * One world for the describe block, `runMs` after a push of web:v2 (with these image behaviours),
 * filled in before its tests; after them, no secret was logged. Read its members inside tests.
 */
function pushedV2(runMs: number, images: Record<string, unknown> = {}): Setup {
  const s = {} as Setup;
  beforeAll(async () => {
    Object.assign(s, await setUp(images));
    s.t.world.ecr.push('web', 'v2');
    await s.t.world.runFor(runMs);
  }, 120_000);
  afterAll(async () => {
    noSecretsLogged(s.t);
    await s.t.stop();
  });
  return s;
}

describe('Slack buttons on a rollout in flight', () => {
  const s = pushedV2(1 * MIN);

  it('the started and step messages carry Promote, Pause and Abort for this rollout', async () => {
    const r = await s.record();
    expect(r.rollout).toBeDefined();
    const withButtons = s.t.slack!.messages().filter((m) => m.blocks?.some((b: any) => b.type === 'actions'));
    expect(withButtons.length).toBeGreaterThanOrEqual(2);
    for (const m of withButtons) {
      const elements = m.blocks.find((b: any) => b.type === 'actions').elements;
      expect(elements.map((e: any) => actionOf(e.action_id))).toEqual(['promote', 'pause', 'abort']);
      expect(parseButtonValue(elements[0].value)).toEqual({
        target: 'prod/web',
        rollout: r.rollout!.id,
        step: expect.any(Number),
      });
    }
    // The step message names the step it was drawn at (a later Promote on it is refused).
    const steps = withButtons.map(
      (m) => parseButtonValue(m.blocks.find((b: any) => b.type === 'actions').elements[0].value)!.step,
    );
    expect(steps.at(-1)).toBe(r.rollout!.stepIndex);
  });

  it('a forged request (another secret) gets 401 and changes nothing', async () => {
    const before = await s.record();
    const posted = s.responses().length;
    const res = await s.click({ action: 'abort', secret: 'not-the-signing-secret-at-all' });
    expect(res.statusCode).toBe(401);
    expect((await s.record()).version).toBe(before.version);
    expect(s.responses().length).toBe(posted);
  });

  it('a stale request (signed 6 minutes ago) gets 401 and changes nothing', async () => {
    const before = await s.record();
    const res = await s.click({ action: 'abort', timestamp: Math.floor(s.t.world.now() / 1000) - 6 * 60 });
    expect(res.statusCode).toBe(401);
    expect((await s.record()).version).toBe(before.version);
  });

  it('a tampered body (the signature of another body) gets 401', async () => {
    const event = s.request({ action: 'pause' });
    const other = s.request({ action: 'abort' });
    const res = await s.send({ ...event, body: other.body });
    expect(res.statusCode).toBe(401);
    expect((await s.record()).rollout?.paused).not.toBe(true);
  });

  it('a click from someone not among the approvers is refused, ephemerally, and changes nothing', async () => {
    const before = await s.record();
    const res = await s.click({ action: 'abort', user: 'U999OTHER' });
    expect(res.statusCode).toBe(200);
    expect((await s.record()).version).toBe(before.version);
    const answer = s.responses().at(-1);
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answer.text).toContain('<@U999OTHER> is not an approver of prod/web');
    expect(s.t.logs.some((l) => l.includes('"slack.refused"') && l.includes('not_approver'))).toBe(true);
  });

  it('Pause pauses the rollout, updates the message (Resume, who, when) and tells the thread; its replay is refused', async () => {
    const event = s.request({ action: 'pause' });
    const res = await s.send(event);
    expect(res.statusCode).toBe(200);
    const r = await s.record();
    expect(r.rollout?.paused).toBe(true);

    const [update, thread] = s.responses().slice(-2);
    expect(update.replace_original).toBe(true);
    const actions = update.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => actionOf(e.action_id))).toEqual(['promote', 'resume', 'abort']);
    const said = update.blocks.filter((b: any) => b.type === 'context').map((b: any) => b.elements[0].text);
    expect(said.at(-1)).toMatch(new RegExp(`Paused by <@${APPROVER}> at <!date\\^\\d+`));
    expect(thread).toMatchObject({ response_type: 'in_channel', thread_ts: '1767258000.000100' });
    expect(thread.text).toMatch(/paused: prod\/web: web:v2 paused at step 1\/3 \(10%\)/);

    // The same request again (a replay within the 5 minutes): refused, nothing more done.
    const again = await s.send(event);
    expect(again.statusCode).toBe(200);
    expect((await s.record()).version).toBe(r.version);
    expect(s.responses().at(-1).text).toContain('already acted on');

    // Paused: three minutes on, still on step 1 (the bake is 2 minutes).
    await s.t.world.runFor(3 * MIN);
    expect((await s.record()).rollout?.stepIndex).toBe(0);
  });

  it('Resume goes on, Promote moves to the next step now', async () => {
    await s.click({ action: 'resume' });
    expect((await s.record()).rollout?.paused).toBe(false);
    const before = (await s.record()).rollout!.stepIndex;
    await s.click({ action: 'promote' });
    expect((await s.record()).rollout!.stepIndex).toBe(before + 1);
    // The step it moved to, counted from 1 for people.
    expect(s.responses().at(-1).text).toMatch(
      new RegExp(`promoted: prod/web: web:v2 promoted to step ${before + 2}/3`),
    );
  });

  it('Abort stops it and rolls back; a button of that rollout is then refused as stale', async () => {
    const id = (await s.record()).rollout!.id;
    await s.click({ action: 'abort' });
    const r = await s.record();
    expect(r.history.find((h) => h.id === id)?.outcome).toBe('aborted');
    expect(s.responses().at(-1).text).toMatch(/aborted: prod\/web: web:v2 aborted/);
    // The update has no buttons left: nothing to do on an aborted rollout.
    const update = s.responses().at(-2);
    expect(update.blocks.some((b: any) => b.type === 'actions')).toBe(false);

    const version = (await s.record()).version;
    await s.click({ action: 'promote' });
    expect((await s.record()).version).toBe(version);
    expect(s.responses().at(-1).text).toContain('the rollout of web:v2 is already rolling back: aborted');
  });
});

describe('Retry this digest, on a rollback', () => {
  const s = pushedV2(15 * MIN, { 'web:v2': { crash: { after: '20s', exitCode: 1 } } });

  it('the rolled_back message carries it, and a click rolls the same digest out again', async () => {
    const before = await s.record();
    const rolledBack = before.history.at(-1)!;
    expect(rolledBack.outcome).toBe('rolled_back');
    expect(before.rollout).toBeUndefined();

    const res = await s.click({ action: 'retry' });
    expect(res.statusCode).toBe(200);
    // A new rollout of the same digest, really started: the earlier rollout's stopped tasks (ECS
    // keeps them visible for an hour) are not counted against it.
    const after = await s.record();
    expect(after.rollout?.image.digest).toBe(rolledBack.image.digest);
    expect(after.rollout?.failures).toEqual([]);
    const again = [...after.history, ...(after.rollout ? [after.rollout] : [])].filter(
      (h) => h.image.digest === rolledBack.image.digest && h.id !== rolledBack.id,
    );
    expect(again).toHaveLength(1);
    const started = s.t.slack!.messages().filter((m) => /^prod\/web: rolling out web:v2 /.test(m.text));
    expect(started).toHaveLength(2);
    expect(s.responses().at(-1).text).toMatch(/retried the digest: prod\/web: rolling out web:v2/);
  });

  it('a retry while another rollout is in flight is refused', async () => {
    s.t.world.ecr.push('web', 'v3');
    await s.t.world.runFor(1 * MIN);
    const before = await s.record();
    expect(before.rollout?.image.tag).toBe('v3');
    const retries = s.t
      .slack!.messages()
      .filter((m) =>
        m.blocks?.some((b: any) => b.elements?.some((e: any) => actionOf(e.action_id) === 'retry')),
      );
    // The button of the first rollback (the oldest message).
    const value = retries[0].blocks.find((b: any) => b.type === 'actions').elements[0].value;
    await s.click({ action: 'retry', value });
    expect((await s.record()).version).toBe(before.version);
    expect(s.responses().at(-1).text).toMatch(/is rolling out web:v3 now; retry web:v2 once that ends/);
  });
});

/**
 * Slack's Web API on loopback, the two methods the buttons use, answering as Slack documents them:
 * usergroups.users.list -> { ok, users: [IDs] }, chat.postMessage -> { ok, ts }; an unknown or
 * missing bot token -> { ok: false, error: 'invalid_auth' }.
 */
async function webApi(token: string, groups: Record<string, string[]>) {
  const posted: { auth?: string; body: any }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return reply({ ok: false, error: 'invalid_auth' });
      if (url.pathname === '/api/usergroups.users.list') {
        const users = groups[url.searchParams.get('usergroup') ?? ''];
        return reply(users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' });
      }
      if (url.pathname === '/api/chat.postMessage') {
        posted.push({ auth: req.headers.authorization, body: JSON.parse(raw) });
        return reply({ ok: true, ts: '1767258002.000300' });
      }
      reply({ ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return { base, posted, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('user-group approvers', () => {
  const BOT = 'xoxb-local-bot-token-0123456789';
  const GROUP = 'S0DEPLOYERS';
  const MEMBER = 'U0MEMBER01';
  let api: Awaited<ReturnType<typeof webApi>>;
  let withToken: Setup;
  let without: Setup;
  let limited: Setup;
  let loopback: LocalSlack;
  beforeAll(async () => {
    api = await webApi(BOT, { [GROUP]: [MEMBER, 'U0MEMBER02'] });
    const slack = slackApi(async () => BOT, api.base);
    withToken = await setUp({}, { approvers: [GROUP] }, slack);
    without = await setUp({}, { approvers: [GROUP] });
    loopback = new LocalSlack();
    await loopback.start();
    loopback.groups.set(GROUP, [MEMBER]);
    limited = await setUp(
      {},
      { approvers: [GROUP] },
      slackApi(async () => loopback.botToken, loopback.apiBase()),
    );
    for (const s of [withToken, without, limited]) {
      s.t.world.ecr.push('web', 'v2');
      await s.t.world.runFor(1 * MIN);
    }
  }, 180_000);
  afterAll(async () => {
    await withToken.t.stop();
    await without.t.stop();
    await limited.t.stop();
    await loopback.stop();
    await api.close();
  });

  it('with a bot token: a member of the group may act, and the outcome goes to the thread by chat.postMessage', async () => {
    await withToken.click({ action: 'pause', user: MEMBER });
    expect((await withToken.record()).rollout?.paused).toBe(true);
    expect(api.posted.at(-1)?.body).toMatchObject({
      channel: 'C0DEPLOYS',
      thread_ts: '1767258000.000100',
      text: expect.stringMatching(/^<@U0MEMBER01> paused: prod\/web: web:v2 paused at step 1\/3/),
    });
    expect(withToken.t.logs.filter((l) => l.includes(BOT))).toEqual([]);
  });

  it('with a bot token: someone outside the group is refused', async () => {
    const version = (await withToken.record()).version;
    await withToken.click({ action: 'abort', user: 'U0OUTSIDER' });
    expect((await withToken.record()).version).toBe(version);
    expect(withToken.responses().at(-1).text).toContain('<@U0OUTSIDER> is not an approver of prod/web;');
  });

  it('without a bot token: a group cannot be checked, so the click is refused and the answer says why', async () => {
    const version = (await without.record()).version;
    await without.click({ action: 'pause', user: MEMBER });
    expect((await without.record()).version).toBe(version);
    expect(without.responses().at(-1).text).toContain('no bot token is configured');
  });

  it('Slack rate-limits usergroups.users.list: the member is refused (never allowed), ephemerally, and nothing changes', async () => {
    const version = (await limited.record()).version;
    loopback.apiAnswers.push({ status: 429, retryAfter: 20 });
    const res = await limited.click({ action: 'abort', user: MEMBER });
    expect(res.statusCode).toBe(200);
    expect((await limited.record()).version).toBe(version);
    expect(limited.responses().at(-1)).toMatchObject({
      response_type: 'ephemeral',
      text: `:no_entry: whether <@${MEMBER}> may act on prod/web cannot be told: Slack did not list the members of the user group <!subteam^${GROUP}> (Slack is rate-limiting the app; try again in 20 s); nothing was done`,
    });
    expect(limited.t.logs.some((l) => l.includes('"slack.refused"') && l.includes('group_unavailable'))).toBe(
      true,
    );
    expect(limited.t.logs.filter((l) => l.includes(loopback.botToken))).toEqual([]);
    // Once Slack answers again, the same member acts.
    await limited.click({ action: 'pause', user: MEMBER });
    expect((await limited.record()).rollout?.paused).toBe(true);
  });
});
