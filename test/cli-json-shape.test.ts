/**
 * `status --json`, `history --json` and the failure document keep the shape README.md documents:
 * the README's field tables (under "### The JSON documents") are parsed here, and the documents
 * the commands print against the local world, in every state a rollout passes through, are checked
 * against them both ways: every field printed is documented, and every field documented as always
 * present is printed (whenever its parent is). Docs and output cannot drift apart.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CommandName } from '../lib/commands/cli.ts';
import { usePipelineWorld } from './helpers/pipeline-world.ts';
import { runCli } from './helpers/run-cli.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

const MIN = 60_000;

/** The documented fields of one JSON document: `path` -> always present (when its parent is)? */
type Fields = Map<string, { always: boolean; type: string }>;

/**
 * The table that follows the README line `#### <title>`: rows `| \`path\` | type | present | example |`.
 *
 *   | `rollout.step` | number | always | `1` |      -> 'rollout.step' => { always: true, type: 'number' }
 *   | `canary` | object | when a canary ... | ... |  -> 'canary' => { always: false, type: 'object' }
 */
function documentedFields(readme: string, title: string): Fields {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.trim() === `#### ${title}`);
  if (start < 0) throw new Error(`README.md has no "#### ${title}"`);
  const fields: Fields = new Map();
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const name = cells[1]?.match(/^`([^`]+)`$/)?.[1];
    if (!name) continue; // the header and its rule
    fields.set(name, { type: cells[2] ?? '', always: cells[3] === 'always' });
  }
  if (fields.size === 0) throw new Error(`README.md's "#### ${title}" has no field table`);
  return fields;
}

/**
 * Every path in a JSON value, arrays as `[]`, with the JSON type at it.
 *
 *   { a: 1, b: [{ c: 'x' }], d: null }  -> a number, b array, b[].c string, d null
 */
function jsonPaths(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [key, v] of Object.entries(value as object)) {
    if (v === undefined) continue;
    const at = prefix ? `${prefix}.${key}` : key;
    const type = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    out.set(at, type);
    if (Array.isArray(v)) {
      for (const item of v) if (item && typeof item === 'object') jsonPaths(item, `${at}[]`, out);
    } else if (v && typeof v === 'object') jsonPaths(v, at, out);
  }
  return out;
}

/** The parent of a path: `rollout.approval.step` -> `rollout.approval`; `tasks[].revision` -> `tasks[]`. */
const parentOf = (p: string) => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '');

/** Problems between one printed document and the documented fields; none when they agree. */
function shapeProblems(doc: unknown, fields: Fields): string[] {
  const problems: string[] = [];
  for (const [p, type] of jsonPaths(doc)) {
    const documented = fields.get(p);
    if (!documented) problems.push(`${p} (${type}) is printed but not documented`);
    else if (!documented.type.split(/ or /).some((t) => t.trim() === type))
      problems.push(`${p} is printed as ${type}, documented as ${documented.type}`);
  }
  // Each object printed (the document, or one at a path, or an item of an array) has every field
  // documented as always present under that path.
  const visit = (value: unknown, at: string) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, `${at}[]`);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [p, { always }] of fields) {
      if (always && parentOf(p) === at && !(p.slice(at ? at.length + 1 : 0) in value))
        problems.push(`${p} is documented as always present but is not printed`);
    }
    for (const [key, v] of Object.entries(value)) visit(v, at ? `${at}.${key}` : key);
  };
  visit(doc, '');
  return problems;
}

const readme = readFileSync('README.md', 'utf8');

describe('the README field tables', () => {
  it('are read as documented, and a printed field missing from them or a documented one missing from the output is a problem', () => {
    const fields = documentedFields(
      [
        '#### sample',
        '',
        '| field | type | present | example |',
        '| --- | --- | --- | --- |',
        '| `a` | number | always | `1` |',
        '| `b` | object | when b | `{}` |',
        '| `b.c` | string or null | always | `"x"` |',
        '| `d` | array | always | `[]` |',
        '| `d[].e` | boolean | always | `true` |',
      ].join('\n'),
      'sample',
    );
    expect([...fields.keys()]).toEqual(['a', 'b', 'b.c', 'd', 'd[].e']);
    expect(shapeProblems({ a: 1, d: [] }, fields)).toEqual([]);
    expect(shapeProblems({ a: 1, b: { c: null }, d: [{ e: true }] }, fields)).toEqual([]);
    expect(shapeProblems({ a: 1, b: {}, d: [{}], f: 2 }, fields)).toEqual([
      'f (number) is printed but not documented',
      'b.c is documented as always present but is not printed',
      'd[].e is documented as always present but is not printed',
    ]);
    expect(shapeProblems({ a: '1', d: [] }, fields)).toEqual([
      'a is printed as string, documented as number',
    ]);
  });
});

const world = usePipelineWorld();

describe('status --json and history --json against the local world', () => {
  it('print only documented fields, and every always-present one, in every state of a rollout', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-json-shape-'));
    const configFile = path.join(dir, 'autopilot.yml');
    // An approval gate before the 100% step, so a rollout waits for a person.
    const target = { ...WEB_TARGET, approval: 'before-promotion' };
    writeFileSync(configFile, stringify({ targets: [target] }));
    const t = await world({ target });
    const w = t;
    const cli = async (name: CommandName, ...args: string[]) => {
      const ran = await runCli(w, configFile, name, ...args);
      return { code: ran.code, doc: JSON.parse(ran.out) };
    };
    const status = documentedFields(readme, '`status --json`');
    const history = documentedFields(readme, '`history --json`');
    const failure = documentedFields(readme, 'A failure under `--json`');
    const seen: Record<string, unknown> = {};
    const check = async (state: string, phase?: string) => {
      const one = await cli('status', 'prod/web', '--json');
      const all = await cli('status', '--json');
      const past = await cli('history', 'prod/web', '--json');
      seen[state] = one.doc;
      expect(one.code).toBe(0);
      if (phase) expect(one.doc.rollout?.phase, state).toBe(phase);
      else expect(one.doc.rollout, state).toBeUndefined();
      expect(shapeProblems(one.doc, status), state).toEqual([]);
      for (const s of all.doc) expect(shapeProblems(s, status), `${state} (every service)`).toEqual([]);
      expect(shapeProblems(past.doc, history), `${state} (history)`).toEqual([]);
    };

    /** Moves the world's clock until the rollout is in `phase` (at most 20 minutes). */
    const until = async (phase: string) => {
      for (let i = 0; i < 80; i++) {
        if ((await cli('status', 'prod/web', '--json')).doc.rollout?.phase === phase) return;
        await w.world.runFor(15_000);
      }
    };

    await check('idle');
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(30_000);
    await check('rollout starting', 'starting');
    await until('baking');
    await check('rollout in flight', 'baking');
    expect((await cli('pause', 'prod/web', '--json')).code).toBe(0);
    await check('paused', 'paused');
    expect((await cli('resume', 'prod/web', '--json')).code).toBe(0);
    await until('awaiting_approval');
    await check('waiting for approval', 'awaiting_approval');
    expect((await cli('approve', 'prod/web', '--as', 'alice', '--json')).code).toBe(0);
    await t.world.runFor(5 * MIN);
    await check('after a rollout succeeded');

    t.world.ecr.push('web', 'v3');
    await t.world.runFor(30_000);
    expect((await cli('abort', 'prod/web', '--reason', 'wrong build', '--json')).code).toBe(0);
    await check('rolling back', 'rolling_back');
    await t.world.runFor(5 * MIN);
    await check('after abort');

    expect((await cli('rollback', 'prod/web', '--json')).code).toBe(0);
    await check('rolling back by hand', 'rolling_back');
    // Said from what to what, not as the step of a rollout ("step 1 asks for 100% of traffic").
    expect((seen['rolling back by hand'] as { rollout: unknown }).rollout).toMatchObject({
      manual: { from: 'web:2', to: 'web:1' },
    });
    const text = await runCli(w, configFile, 'status', 'prod/web');
    expect(text.out).toMatch(/prod\/web +web:\S+ .*rolling back by hand from web:2 to web:1/);
    expect(text.out).toMatch(
      /^prod\/web: rolling back by hand from web:2 to web:1; web:1 runs \d+ of 4 tasks$/m,
    );
    expect(text.out).not.toContain('asks for');
    // A second rollback while this one runs says which of the two reasons it is.
    const again = await runCli(w, configFile, 'rollback', 'prod/web', '--to', 'web:1', '--force');
    expect(again.code).toBe(1);
    expect(again.err).toContain(
      'prod/web: nothing rolled back: a rollback is under way (rolling back by hand from web:2 to web:1); wait for it, then roll back again',
    );
    await t.world.runFor(5 * MIN);
    await check('after a rollback by hand');
    const same = await runCli(w, configFile, 'rollback', 'prod/web', '--to', 'web:1', '--force');
    expect(same.code).toBe(1);
    expect(same.err).toContain('prod/web: nothing rolled back: the service already runs web:1\n');
    // Under --json a command that ran but did not apply prints the failure document too.
    const sameJson = await cli('rollback', 'prod/web', '--to', 'web:1', '--force', '--json');
    expect(sameJson.code).toBe(1);
    expect(sameJson.doc).toEqual({
      ok: false,
      command: 'rollback',
      exitCode: 1,
      error: { kind: 'refused', message: 'prod/web: nothing rolled back: the service already runs web:1' },
    });
    expect(shapeProblems(sameJson.doc, failure)).toEqual([]);

    // Failures: refused, usage (with `usage`), config (with `problems`).
    const refused = await cli('pause', 'prod/web', '--json');
    expect(refused.code).toBe(1);
    expect(shapeProblems(refused.doc, failure)).toEqual([]);
    const usage = await cli('status', 'prod/web', '--bogus', '--json');
    expect(usage.code).toBe(2);
    expect(shapeProblems(usage.doc, failure)).toEqual([]);
    const badConfig = path.join(dir, 'bad.yml');
    writeFileSync(badConfig, stringify({ targets: [{ ...target, steps: [{ percent: 10, bake: 5 }] }] }));
    const config = await runCli(w, badConfig, 'status', '--json');
    expect(config.code).toBe(1);
    const doc = JSON.parse(config.out);
    expect(doc.error.kind).toBe('config');
    expect(doc.error.problems.length).toBeGreaterThan(0);
    expect(shapeProblems(doc, failure)).toEqual([]);
  }, 240_000);
});
