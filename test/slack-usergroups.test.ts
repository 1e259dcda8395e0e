/**
 * User-group approvers through Slack's Web API: the pipeline's client (lib/chatops/lambda.ts
 * `slackApi`) against the loopback Slack's usergroups.users.list, answering as Slack documents it
 * (https://api.slack.com/methods/usergroups.users.list: the bot token as `Authorization: Bearer`,
 * `usergroup`, `{ ok, users }`; `ok: false` with `no_such_subteam`, `invalid_auth`, `not_authed`;
 * a rate limit is HTTP 429 with `Retry-After`, https://api.slack.com/apis/rate-limits). And the
 * words a refused click shows for each (interact.ts `groupTrouble`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupTrouble } from '../lib/chatops/interact.ts';
import { SlackApiError, slackApi } from '../lib/chatops/lambda.ts';
import { parseScenario } from '../local/scenario/parse.ts';
import { LocalSlack } from '../local/services/slack/index.ts';

let slack: LocalSlack;
beforeAll(async () => {
  slack = new LocalSlack();
  await slack.start();
  slack.groups.set('S0DEPLOY', ['U1', 'U2']);
});
afterAll(() => slack.stop());

const api = (token?: string) => slackApi(async () => token ?? slack.botToken, slack.apiBase());

describe('usergroups.users.list on the loopback Slack', () => {
  it('lists a group’s members with the bot token, and sees the token only in the header', async () => {
    expect(await api().groupMembers('S0DEPLOY')).toEqual(['U1', 'U2']);
    expect(slack.apiCalls.at(-1)).toMatchObject({
      method: 'usergroups.users.list',
      args: { usergroup: 'S0DEPLOY' },
      status: 200,
      answer: { ok: true, users: ['U1', 'U2'] },
    });
    expect(JSON.stringify(slack.apiCalls)).not.toContain(slack.botToken);
  });

  it('a group the workspace lacks: no_such_subteam', async () => {
    const e = await api()
      .groupMembers('S0NOPE')
      .catch((x) => x);
    expect(e).toBeInstanceOf(SlackApiError);
    expect(e).toMatchObject({ method: 'usergroups.users.list', error: 'no_such_subteam' });
  });

  it('a wrong token: invalid_auth, and the message does not carry the token', async () => {
    const e = await api('xoxb-wrong-token-123')
      .groupMembers('S0DEPLOY')
      .catch((x) => x);
    expect(e).toMatchObject({ error: 'invalid_auth', message: 'Slack usergroups.users.list: invalid_auth' });
    expect(String(e.message)).not.toContain('xoxb-wrong-token-123');
  });

  it('a rate limit: HTTP 429 with Retry-After, kept on the error', async () => {
    slack.apiAnswers.push({ status: 429, retryAfter: 30 });
    const e = await api()
      .groupMembers('S0DEPLOY')
      .catch((x) => x);
    expect(e).toMatchObject({ error: 'ratelimited', retryAfterSeconds: 30 });
    expect(slack.apiCalls.at(-1)?.status).toBe(429);
    // The next call is answered again.
    expect(await api().groupMembers('S0DEPLOY')).toEqual(['U1', 'U2']);
  });

  it('chat.postMessage posts in the thread', async () => {
    await api().postInThread('C1', '1767258000.000100', 'hello');
    expect(slack.posts.at(-1)).toMatchObject({
      channel: 'C1',
      thread_ts: '1767258000.000100',
      text: 'hello',
    });
  });
});

describe('what a refused click says about a group Slack did not list', () => {
  const cases: [unknown, string][] = [
    [
      new SlackApiError('usergroups.users.list', 'no_such_subteam'),
      'Slack answered no_such_subteam: no such user group; check `approvers`',
    ],
    [
      new SlackApiError('usergroups.users.list', 'invalid_auth'),
      'Slack answered invalid_auth: the bot token is not valid',
    ],
    [
      new SlackApiError('usergroups.users.list', 'ratelimited', 30),
      'Slack is rate-limiting the app; try again in 30 s',
    ],
    [
      new SlackApiError('usergroups.users.list', 'ratelimited'),
      'Slack is rate-limiting the app; try again later',
    ],
    [new SlackApiError('usergroups.users.list', 'fatal_error'), 'Slack answered fatal_error'],
    [
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'Slack could not be reached',
    ],
  ];
  it.each(cases)('%s -> %s', (error, words) => {
    expect(groupTrouble(error)).toBe(words);
  });
});

describe("a scenario's slack: section", () => {
  const scenario = (slackSection: string) => `
clusters: [{ name: prod }]
services: [{ cluster: prod, name: web, image: web:v1 }]
${slackSection}
`;
  it('defines the groups and the bot token', () => {
    const s = parseScenario(scenario('slack: { groups: { S0DEPLOY: [U1ONE, W2TWO] }, botToken: invalid }'), {
      file: 's.yml',
    });
    expect(s.slack).toEqual({ groups: { S0DEPLOY: ['U1ONE', 'W2TWO'] }, botToken: 'invalid' });
  });
  it.each([
    [
      'slack: { groups: { DEPLOY: [U1ONE] } }',
      'slack.groups.DEPLOY: must be a Slack user-group ID such as S0DEPLOY',
    ],
    [
      'slack: { groups: { S0DEPLOY: [alice] } }',
      'slack.groups.S0DEPLOY[0]: a Slack user ID such as U123, got "alice"',
    ],
    ['slack: { botToken: maybe }', 'slack.botToken'],
    ['slack: { group: {} }', 'slack.group: unknown field; did you mean "groups"?'],
  ])('%s is refused with its path', (section, words) => {
    expect(() => parseScenario(scenario(section), { file: 's.yml' })).toThrow(words);
  });
});
