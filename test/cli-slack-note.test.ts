/**
 * The note a command prints when Slack was not told of what it did: it names the command's own
 * message (not the oldest one queued, which the sender tries first), whether it stays queued and
 * behind how many; against the local world with its Slack answering 500.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { slackNotes } from '../lib/commands/cli.ts';
import { recordOf, usePipelineWorld } from './helpers/pipeline-world.ts';
import { runCli } from './helpers/run-cli.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

const trouble = (id: string, kind: string, reason: string, failed = false) => ({ id, kind, reason, failed });

describe('slackNotes', () => {
  it.each([
    [
      'its own message failed and stays queued',
      [trouble('5.0', 'paused', 'HTTP 500')],
      [],
      [{ id: '5.0', kind: 'paused' }],
      ["note: Slack was not told of paused yet: HTTP 500; it stays queued for the pipeline's next tick"],
    ],
    [
      'an older message failed first: its own was not tried',
      [trouble('3.0', 'started', 'HTTP 500')],
      [{ id: '3.0', kind: 'started' }],
      [
        { id: '3.0', kind: 'started' },
        { id: '5.0', kind: 'paused' },
      ],
      [
        "note: Slack was not told of paused yet: HTTP 500 (for started, tried first); it stays queued for the pipeline's next tick, behind 1 older message",
      ],
    ],
    [
      'an older message given up for good, its own sent',
      [trouble('3.0', 'started', 'no_service', true)],
      [{ id: '3.0', kind: 'started' }],
      [],
      ['note: Slack was not told of an older message, started: no_service; given up, it will not be sent'],
    ],
    [
      'its own given up for good',
      [trouble('5.0', 'aborted', 'invalid_payload', true)],
      [],
      [],
      ['note: Slack was not told of aborted: invalid_payload; given up, it will not be sent'],
    ],
  ])('%s', (_, seen, before, after, notes) => {
    expect(slackNotes(seen, before, after)).toEqual(notes);
  });
});

const world = usePipelineWorld();

describe('a command whose Slack message did not go', () => {
  it("names its own message and the older one that held it back, not the oldest's kind", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-slack-note-'));
    const configFile = path.join(dir, 'autopilot.yml');
    writeFileSync(configFile, stringify({ targets: [WEB_TARGET] }));
    const t = await world({ slack: {} });
    const slack = t.slack!;
    // Slack fails the rollout's "started" (and its retries): it waits in the outbox.
    slack.answers.push(...Array.from({ length: 10 }, () => ({ status: 500 })));
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(20_000);
    const record = (await recordOf(t))!;
    const older = record.outbox!.map((e) => e.notice.kind);
    expect(older[0]).toBe('started');
    // Its retry time has come and the tick has not yet: it is due when the command runs.
    await t.store.put({ ...record, outbox: record.outbox!.map((e) => ({ ...e, nextAt: t!.world.now() })) });
    slack.answers.length = 0;

    // The command tries the older "started" first; Slack fails it again, so "paused" is not tried.
    slack.answers.push({ status: 500 });
    const { code, err } = await runCli(t, configFile, 'pause', 'prod/web');
    expect(code).toBe(0);
    expect((await recordOf(t))?.outbox?.map((e) => e.notice.kind)).toEqual([...older, 'paused']);
    const behind = older.length === 1 ? '1 older message' : `${older.length} older messages`;
    expect(err).toMatch(
      new RegExp(
        `^note: Slack was not told of paused yet: .*500.* \\(for started, tried first\\); it stays queued for the pipeline's next tick, behind ${behind}\n$`,
      ),
    );
  }, 120_000);
});
