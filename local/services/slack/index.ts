/**
 * Slack incoming webhooks on loopback, for `npm start` and the tests. Like Slack (aws-facts.md §6)
 * it checks each payload against the limits (400 `invalid_payload`, or `no_text` when there is
 * nothing to show), answers an unknown webhook with 404 `no_service`, and takes a message with
 * 200 `ok`; it prints each message readably. Tests script its answers: 429 with Retry-After, 400,
 * 500, a slow answer, or no answer at all (refuse(): the port is closed, connections are refused).
 *
 *   const slack = new LocalSlack({ now: () => world.now(), print: (text) => process.stderr.write(text) });
 *   await slack.start();
 *   const url = slack.webhook('/ecs-autopilot/slack-webhook-url');   // what the SSM parameter holds
 *   slack.answers.push({ status: 429, retryAfter: 30 }, { status: 500 }, { slow: 8000 });
 *   await slack.refuse();  ...  await slack.recover();
 *
 * The limits are written out here from Slack's documentation, not taken from lib/slack, so a
 * mistake in the renderer's limits shows as a refused message.
 *
 * It also serves the two Web API methods the Slack buttons use with the app's bot token (the
 * token in `botToken`, made at start like Slack's `xoxb-…`):
 *
 *   GET  /api/usergroups.users.list?usergroup=S…   https://api.slack.com/methods/usergroups.users.list
 *        -> 200 { ok: true, users: [...] } for a group in `groups`; 200 { ok: false, error:
 *        'no_such_subteam' } for another; `not_authed` without a token, `invalid_auth` with a
 *        wrong one; `missing_argument` without `usergroup`
 *   POST /api/chat.postMessage { channel, thread_ts, text }  https://api.slack.com/methods/chat.postMessage
 *        -> 200 { ok: true, channel, ts, message } (kept in `posts`)
 *
 * The token goes in `Authorization: Bearer …` (or a `token` parameter), as Slack takes it. Errors
 * of the Web API are HTTP 200 with `ok: false`; a rate limit is HTTP 429 with `Retry-After`
 * (https://api.slack.com/apis/rate-limits). Tests script the next answers in `apiAnswers`.
 *
 *   slack.groups.set('S0DEPLOY', ['U123', 'U456']);
 *   slack.apiAnswers.push({ status: 429, retryAfter: 30 }, { error: 'invalid_auth' });
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the next request is answered; the default is 'ok' (after the payload checks). */
export type Answer =
  | 'ok'
  /** This status; the body defaults to Slack's word for it, `Retry-After` is in seconds. */
  | { status: number; body?: string; retryAfter?: number }
  /** Waits this many real milliseconds, then answers `then` (default 'ok'). */
  | { slow: number; then?: Answer };

export interface Received {
  /** When it arrived, by `now` (the virtual clock in the local world). */
  at: number;
  /** The name the webhook was made for (the SSM parameter). */
  channel: string;
  payload: unknown;
  status: number;
  body: string;
  /** Why the payload was refused, when it was. */
  problem?: string;
  /** The client hung up before the answer (a slow answer past its timeout); Slack may still have posted it. */
  abandoned?: boolean;
}

/** A scripted answer of the Web API: a rate limit, or an `ok: false` error word. */
export type ApiAnswer = { status: 429; retryAfter: number } | { error: string };

/** A Web API call the local Slack took: the method, its arguments, and what it answered. */
export interface ApiCall {
  at: number;
  method: string;
  args: Record<string, string>;
  status: number;
  answer: Record<string, unknown>;
}

export interface LocalSlackOptions {
  now?: () => number;
  /** Where messages are printed; nothing is printed without it. */
  print?: (text: string) => void;
}

/** Slack's word for a status (aws-facts.md §6). */
const WORDS: Record<number, string> = {
  200: 'ok',
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'channel_not_found',
  410: 'channel_is_archived',
  429: 'rate_limited',
  500: 'rollup_error',
};

export class LocalSlack {
  readonly answers: Answer[] = [];
  readonly received: Received[] = [];
  /** Called as each webhook request takes its answer (1-based request count): what a fault plan reports as fired. */
  onAnswer?: (request: number, answer: Answer) => void;
  private webhookRequests = 0;
  /** User groups by ID (S…), with their members' user IDs: what usergroups.users.list answers. */
  readonly groups = new Map<string, string[]>();
  /** The app's bot token; a Web API call must carry it. */
  readonly botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
  readonly apiAnswers: ApiAnswer[] = [];
  readonly apiCalls: ApiCall[] = [];
  /** Messages posted with chat.postMessage (thread replies). */
  readonly posts: { at: number; channel: string; thread_ts?: string; text: string }[] = [];
  private server?: http.Server;
  private port = 0;
  private readonly channels = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: LocalSlackOptions = {}) {}

  /** Listens on loopback (an ephemeral port the first time, the same port after recover()). */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    // `npm start` ends when the scenario does, whatever this server still holds.
    server.unref();
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** A new webhook URL for `channel`, with a path as secret-looking as Slack's. */
  webhook(channel: string): string {
    if (!this.port) throw new Error('start the local Slack before making webhooks');
    const path = `/services/T0LOCAL00/B${randomBytes(5).toString('hex').toUpperCase()}/${randomBytes(12).toString('hex')}`;
    this.channels.set(path, channel);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The Web API's base URL (https://slack.com/api/ for the real one). */
  apiBase(): string {
    if (!this.port) throw new Error('start the local Slack before calling its Web API');
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** The messages Slack took (answered 200), optionally of one channel. */
  messages(channel?: string): any[] {
    return this.received
      .filter((r) => r.status === 200 && (channel === undefined || r.channel === channel))
      .map((r) => r.payload);
  }

  /** Closes the port: every connection is refused until recover(). */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again, on the same port. */
  async recover(): Promise<void> {
    if (!this.server) await this.start();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.refuse();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const at = this.options.now?.() ?? Date.now();
    if (req.url?.startsWith('/api/')) {
      this.api(req, raw, at, res);
      return;
    }
    const channel = this.channels.get(req.url ?? '');
    if (req.method !== 'POST' || channel === undefined) {
      answer(res, 404, 'no_service');
      return;
    }
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) gone = true;
    });
    let next: Answer = this.answers.shift() ?? 'ok';
    this.onAnswer?.(++this.webhookRequests, next);
    while (typeof next === 'object' && 'slow' in next) {
      await this.wait(next.slow);
      next = next.then ?? 'ok';
    }
    let payload: unknown;
    let problem: string | undefined;
    try {
      payload = JSON.parse(raw);
    } catch {
      problem = 'the body is not JSON';
    }
    const scripted = next === 'ok' ? undefined : next;
    let status = scripted?.status ?? 200;
    let body = scripted ? (scripted.body ?? WORDS[scripted.status] ?? 'error') : 'ok';
    if (status === 200) {
      const found = problem ? { error: 'invalid_payload', why: problem } : checkPayload(payload);
      if (found) {
        status = 400;
        body = found.error;
        problem = found.why;
      }
    }
    const received: Received = { at, channel, payload, status, body, ...(problem && { problem }) };
    if (gone) received.abandoned = true;
    this.received.push(received);
    this.print(received);
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (scripted?.retryAfter !== undefined) headers['retry-after'] = String(scripted.retryAfter);
    if (!gone) answer(res, status, body, headers);
  }

  private api(req: http.IncomingMessage, raw: string, at: number, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = url.pathname.slice('/api/'.length);
    const args: Record<string, string> = Object.fromEntries(url.searchParams);
    let readable = true;
    if (raw) {
      const json = (req.headers['content-type'] ?? '').includes('json');
      try {
        Object.assign(args, json ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw)));
      } catch {
        readable = false;
      }
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? args.token;
    // Arguments are kept for the tests, the token never.
    delete args.token;
    const { status, answer, headers } = readable
      ? this.apiAnswerFor(method, args, token, at)
      : { status: 200, answer: { ok: false, error: 'invalid_json' }, headers: {} };
    this.apiCalls.push({ at, method, args, status, answer });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(answer));
  }

  private apiAnswerFor(
    method: string,
    args: Record<string, string>,
    token: string | undefined,
    at: number,
  ): { status: number; answer: Record<string, unknown>; headers: Record<string, string> } {
    const ok = (answer: Record<string, unknown>) => ({ status: 200, answer, headers: {} });
    const error = (word: string) => ok({ ok: false, error: word });
    const scripted = this.apiAnswers.shift();
    if (scripted && 'status' in scripted) {
      return {
        status: 429,
        answer: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(scripted.retryAfter) },
      };
    }
    if (scripted) return error(scripted.error);
    if (!token) return error('not_authed');
    if (token !== this.botToken) return error('invalid_auth');
    switch (method) {
      case 'usergroups.users.list': {
        if (!args.usergroup) return error('missing_argument');
        const users = this.groups.get(args.usergroup);
        return users ? ok({ ok: true, users: [...users] }) : error('no_such_subteam');
      }
      case 'chat.postMessage': {
        if (!args.channel) return error('channel_not_found');
        if (!args.text) return error('no_text');
        const ts = `${Math.floor(at / 1000)}.${String(this.posts.length + 1).padStart(6, '0')}`;
        this.posts.push({
          at,
          channel: args.channel,
          text: args.text,
          ...(args.thread_ts && { thread_ts: args.thread_ts }),
        });
        this.options.print?.(
          `${formatMessage({ text: args.text }, `slack thread ${args.thread_ts ?? ts}`)}\n`,
        );
        return ok({ ok: true, channel: args.channel, ts, message: { text: args.text, ts } });
      }
      default:
        return error('unknown_method');
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private print(r: Received): void {
    const print = this.options.print;
    if (!print) return;
    const when = new Date(r.at).toISOString().replace(/\.\d+Z$/, 'Z');
    if (r.status !== 200) {
      print(
        `slack ${r.channel} ${when}: answered ${r.status} ${r.body}${r.problem ? ` (${r.problem})` : ''}\n`,
      );
      return;
    }
    print(`${formatMessage(r.payload, `slack ${r.channel} ${when}`)}\n`);
  }
}

/** Slack's limits (aws-facts.md §6: docs.slack.dev Block Kit reference, @slack/types). */
const LIMITS = {
  blocks: 50,
  /** Slack advises keeping `text` to 4000 characters (it truncates past 40,000): held to the advice here. */
  text: 4000,
  header: 150,
  sectionText: 3000,
  fields: 10,
  field: 2000,
  contextElements: 10,
  textObject: 3000,
  actions: 25,
  markdown: 12_000,
  blockId: 255,
};

/** What Slack would refuse in a webhook payload, or undefined when it would take it. */
export function checkPayload(
  payload: unknown,
): { error: 'invalid_payload' | 'no_text'; why: string } | undefined {
  const invalid = (why: string) => ({ error: 'invalid_payload' as const, why });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return invalid('not a JSON object');
  const p = payload as Record<string, unknown>;
  if (p.text !== undefined && typeof p.text !== 'string') return invalid('text is not a string');
  if (typeof p.text === 'string' && p.text.length > LIMITS.text) {
    return invalid(`text has ${p.text.length} characters, more than ${LIMITS.text}`);
  }
  if (p.blocks !== undefined) {
    if (!Array.isArray(p.blocks)) return invalid('blocks is not a list');
    if (p.blocks.length > LIMITS.blocks)
      return invalid(`${p.blocks.length} blocks, more than ${LIMITS.blocks}`);
    for (const [i, block] of p.blocks.entries()) {
      const why = checkBlock(block);
      if (why) return invalid(`blocks[${i}]: ${why}`);
    }
  }
  const hasBlocks = Array.isArray(p.blocks) && p.blocks.length > 0;
  if (!hasBlocks && (typeof p.text !== 'string' || p.text.trim() === '')) {
    return { error: 'no_text', why: 'neither text nor blocks' };
  }
  return undefined;
}

function checkBlock(block: unknown): string | undefined {
  if (typeof block !== 'object' || block === null) return 'not an object';
  const b = block as Record<string, any>;
  if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > LIMITS.blockId)) {
    return `block_id longer than ${LIMITS.blockId}`;
  }
  switch (b.type) {
    case 'header':
      return textObject(b.text, 'text', ['plain_text'], LIMITS.header);
    case 'section': {
      if (b.text === undefined && b.fields === undefined) return 'a section needs text or fields';
      if (b.text !== undefined) {
        const why = textObject(b.text, 'text', ['plain_text', 'mrkdwn'], LIMITS.sectionText);
        if (why) return why;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > LIMITS.fields) {
          return `fields must be a list of 1 to ${LIMITS.fields}`;
        }
        for (const [i, f] of b.fields.entries()) {
          const why = textObject(f, `fields[${i}]`, ['plain_text', 'mrkdwn'], LIMITS.field);
          if (why) return why;
        }
      }
      return undefined;
    }
    case 'context': {
      if (
        !Array.isArray(b.elements) ||
        b.elements.length === 0 ||
        b.elements.length > LIMITS.contextElements
      ) {
        return `elements must be a list of 1 to ${LIMITS.contextElements}`;
      }
      for (const [i, e] of b.elements.entries()) {
        if (e?.type === 'image') continue;
        const why = textObject(e, `elements[${i}]`, ['plain_text', 'mrkdwn'], LIMITS.textObject);
        if (why) return why;
      }
      return undefined;
    }
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > LIMITS.actions) {
        return `elements must be a list of 1 to ${LIMITS.actions}`;
      }
      return undefined;
    case 'markdown':
      return typeof b.text === 'string' && b.text.length <= LIMITS.markdown
        ? undefined
        : `markdown text must be at most ${LIMITS.markdown} characters`;
    case 'divider':
    case 'image':
    case 'rich_text':
      return undefined;
    default:
      return `unknown block type ${JSON.stringify(b.type)}`;
  }
}

function textObject(o: any, path: string, types: string[], max: number): string | undefined {
  if (typeof o !== 'object' || o === null) return `${path} is not a text object`;
  if (!types.includes(o.type))
    return `${path}.type must be ${types.join(' or ')}, got ${JSON.stringify(o.type)}`;
  if (typeof o.text !== 'string' || o.text.length === 0) return `${path}.text must not be empty`;
  if (o.text.length > max) return `${path}.text has ${o.text.length} characters, more than ${max}`;
  return undefined;
}

const EMOJI: Record<string, string> = {
  ':rocket:': '🚀',
  ':white_check_mark:': '✅',
  ':rotating_light:': '🚨',
  ':fast_forward:': '⏩',
  ':double_vertical_bar:': '⏸',
  ':arrow_forward:': '▶',
  ':warning:': '⚠️',
  ':chart_with_upwards_trend:': '📈',
  ':chart_with_downwards_trend:': '📉',
};

/** A message as a person would read it in Slack, in plain lines. */
export function formatMessage(payload: any, title: string): string {
  const lines = [`── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}`];
  const blocks: any[] = Array.isArray(payload?.blocks) ? payload.blocks : [];
  if (blocks.length === 0) lines.push(plain(String(payload?.text ?? '')));
  const links: string[] = [];
  for (const b of blocks) {
    if (b.type === 'header') lines.push(plain(b.text.text));
    if (b.type === 'section' && b.text) lines.push(plain(b.text.text, links));
    if (b.type === 'section' && b.fields)
      lines.push(`  ${b.fields.map((f: any) => plain(f.text, links).replace('\n', ': ')).join(' · ')}`);
    if (b.type === 'context')
      lines.push(`  ${b.elements.map((e: any) => plain(e.text ?? '', links)).join(' · ')}`);
  }
  return [...lines, ...links.map((url) => `    ${url}`)].join('\n');
}

/** mrkdwn to plain text: a link by its label (its URL kept in `links`), a date by its fallback, marks and escapes undone. */
function plain(text: string, links: string[] = []): string {
  return text
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, (_m, url: string, label: string) => {
      links.push(url);
      return label;
    })
    .replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m)
    .replace(/(^|\s)[*_](\S[^*_]*?)[*_](?=\s|$|[.,:;])/g, '$1$2')
    .replace(/`/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function answer(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
