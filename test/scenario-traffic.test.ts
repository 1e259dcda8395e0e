/**
 * scenarios/traffic/: services behind load balancers with several listeners and rules, played with
 * `sim --json`; each ends as its `# verdict:` says, and each reached step carries the share of
 * requests the local load balancer really sent to the new revision (from its request counts).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../local/scenario/parse.ts';

const DIR = fileURLToPath(new URL('../scenarios/traffic/', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/autopilot.js', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

interface Step {
  percent: number;
  reachedAt?: string;
  servedShare?: number;
  requests?: number;
}

function sim(file: string) {
  const out = execFileSync(process.execPath, [BIN, 'sim', DIR + file, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as {
    violations: unknown[];
    rollouts: { image: string; outcome: string; reason: string; steps: Step[] }[];
  };
}

describe('traffic scenarios', () => {
  it.each(FILES)(
    '%s ends as its verdict says, every reached step with its served share',
    (file) => {
      const verdicts = [...readFileSync(DIR + file, 'utf8').matchAll(/^# verdict: (\S+) (\w+)$/gm)];
      expect(verdicts.length).toBeGreaterThan(0);
      const report = sim(file);
      expect(report.violations).toEqual([]);
      for (const [, image, outcome] of verdicts) {
        const r = report.rollouts.filter((x) => x.image === image);
        expect(
          r.map((x) => x.outcome),
          r.map((x) => x.reason).join('; '),
        ).toEqual([outcome]);
        for (const s of r[0]!.steps.filter((x) => x.reachedAt)) expect(s.servedShare).toBeTypeOf('number');
      }
    },
    240_000,
  );

  it('two listeners: both routes count, and the task-sized 10% step really served about a third', () => {
    const report = sim('two-listeners.yml');
    const [ten, full] = report.rollouts.find((x) => x.image === 'web:v2')!.steps as [Step, Step];
    // 200 requests/s reach `web` through its two routes (port 80's default, port 443's /api/* rule)
    // for the step's six minutes; `static`'s own 50/s are not the service's.
    const window = (Date.parse(full.reachedAt!) - Date.parse(ten.reachedAt!)) / 1000;
    expect(ten.requests! / (200 * window)).toBeGreaterThan(0.99);
    expect(ten.requests! / (200 * window)).toBeLessThanOrEqual(1.0001);
    // One canary task beside two primary tasks: a third once in service, less over the whole step.
    expect(ten.servedShare!).toBeGreaterThan(25);
    expect(ten.servedShare!).toBeLessThan(33.4);
  }, 240_000);
});

describe('loadBalancers: in a scenario', () => {
  const base = 'targetGroups: [{ name: web }]\nloadBalancers:\n';
  it.each([
    [
      '  - { name: front, listeners: [{ port: 80, forward: nope }] }\n',
      /loadBalancers\[0\]\.listeners\[0\]\.forward: no target group "nope"/,
    ],
    [
      '  - { name: nlb, type: network, listeners: [{ port: 80, forward: web, rules: [{ priority: 1, path: "/", forward: web }] }] }\n',
      /rules\[0\]: a network load balancer has no rules/,
    ],
    [
      '  - { name: front, listeners: [{ port: 80, protocol: TCP, forward: web }] }\n',
      /listeners\[0\]\.protocol: an application load balancer's listener is one of HTTP, HTTPS/,
    ],
    ['  - { name: front, listeners: [] }\n', /listeners: needs at least one listener/],
  ])('%s is refused with its path', (text, problem) => {
    expect(() => parseScenario(base + text, { file: 'x.yml' })).toThrow(problem);
  });

  it('reads listeners and rules, an application load balancer by default', () => {
    const s = parseScenario(
      `${base}  - { name: front, listeners: [{ port: 443, protocol: HTTPS, forward: web, rules: [{ priority: 5, path: "/api/*", forward: web }] }] }\n`,
      { file: 'x.yml' },
    );
    expect(s.loadBalancers).toEqual([
      {
        name: 'front',
        type: 'application',
        listeners: [
          {
            port: 443,
            protocol: 'HTTPS',
            forward: 'web',
            rules: [{ priority: 5, path: '/api/*', forward: 'web' }],
          },
        ],
      },
    ]);
  });
});
