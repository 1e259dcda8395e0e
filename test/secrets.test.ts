/**
 * A webhook is a secret in any form: written into autopilot.yml by mistake, with or without its
 * scheme, it is never echoed by `validate`, `sim` or the Lambda's config error, nor by any log line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config.ts';
import { parseConfig } from '../lib/config-file.ts';
import { createHandler } from '../lib/handler.ts';
import { log, maskWebhooks, setLogSink } from '../lib/log.ts';
import { thrown } from './helpers/thrown.ts';

const BIN = path.resolve('bin/autopilot.js');
const TOKEN = 'q8Zk3uV7wX1yR5tP0mN2bC4d';
const FORMS = [
  `hooks.slack.com/services/T0AB12CD3/B0EF45GH6/${TOKEN}`,
  `https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/${TOKEN}`,
  `//hooks.slack.com/services/T0AB12CD3/B0EF45GH6/${TOKEN}`,
  `services/T0AB12CD3/B0EF45GH6/${TOKEN}`,
];

function autopilot(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The webhook where it belongs (a parameter name is wanted), or pasted into another field. */
const config = (webhook: string, where: 'webhook' | 'repository') =>
  `targets:
  - cluster: prod
    service: web
    ${where === 'webhook' ? `repository: web\n    notifications: { webhook: "${webhook}" }` : `repository: "${webhook}"`}
`;

describe('maskWebhooks', () => {
  it.each([
    [`got "${FORMS[0]}"`, 'got "[webhook redacted]"'],
    [FORMS[1]!, '[webhook redacted]'],
    [`see https%3A%2F%2Fhooks.slack.com%2Fservices%2FT0%2FB1%2F${TOKEN}`, 'see [webhook redacted]'],
    [`{"url":"https:\\/\\/hooks.slack.com\\/services\\/T0\\/B1\\/${TOKEN}"}`, '{"url":"[webhook redacted]"}'],
    [`http://127.0.0.1:9/services/T0LOCAL00/B1A2/${TOKEN}`, 'http://127.0.0.1:9[webhook redacted]'],
    // Not webhooks: the console link of a service, an SSM parameter name.
    [
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/health',
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/health',
    ],
    ['/ecs-autopilot/slack-webhook-url', '/ecs-autopilot/slack-webhook-url'],
  ])('%s -> %s', (text, masked) => {
    expect(maskWebhooks(text)).toBe(masked);
  });

  it('every log line is masked, registered secret or not', () => {
    const lines: string[] = [];
    const previous = setLogSink((l) => lines.push(l));
    try {
      for (const form of FORMS) log.error('slack.failed', { error: new Error(`POST ${form} refused`), form });
    } finally {
      setLogSink(previous);
    }
    expect(lines).toHaveLength(FORMS.length);
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });
});

describe('config errors never echo a webhook', () => {
  it.each(FORMS.flatMap((f) => [[f, 'webhook'] as const, [f, 'repository'] as const]))(
    '%s as %s',
    (form, where) => {
      const e = thrown(() => parseConfig(config(form, where), 'autopilot.yml'), ConfigError);
      expect(e.message).toMatch(where === 'webhook' ? /notifications\.webhook/ : /repository/);
      expect(e.message).not.toContain(TOKEN);
      expect(e.message).not.toContain('hooks.slack.com');
      expect(JSON.stringify(e.problems)).not.toContain(TOKEN);
    },
  );

  it('a scheme-less webhook is refused as a URL, not as a malformed parameter name', () => {
    expect(() => parseConfig(config(FORMS[0]!, 'webhook'), 'autopilot.yml')).toThrow(/not the URL/);
  });

  it('nor does the Lambda (config.invalid, its log line and its answer)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'secrets-'));
    const file = path.join(dir, 'autopilot.yml');
    writeFileSync(file, config(FORMS[0]!, 'webhook'));
    const lines: string[] = [];
    const previous = setLogSink((l) => lines.push(l));
    let result: unknown;
    try {
      const handler = createHandler('test', async () => parseConfig(config(FORMS[0]!, 'webhook')) as never);
      result = await handler({}, {} as never);
    } finally {
      setLogSink(previous);
    }
    expect(lines.some((l) => l.includes('config.invalid'))).toBe(true);
    expect(JSON.stringify(result)).toMatch(/not the URL/);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    for (const l of lines) expect(l).not.toContain(TOKEN);
  });

  it('nor do `autopilot validate` and `autopilot sim`', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'secrets-'));
    const file = path.join(dir, 'autopilot.yml');
    writeFileSync(file, config(FORMS[0]!, 'webhook'));
    const validated = await autopilot(['validate', file]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(/notifications\.webhook/);
    const scenario = path.join(dir, 'scenario.yml');
    writeFileSync(
      scenario,
      `name: secret
clusters: [{ name: prod }]
services:
  - { cluster: prod, name: web, image: web:v1, desiredCount: 1 }
autopilot:
  targets:
    - { cluster: prod, service: web, repository: web, notifications: { webhook: "${FORMS[0]}" } }
`,
    );
    const simulated = await autopilot(['sim', scenario]);
    expect(simulated.code).toBe(1);
    for (const out of [validated, simulated]) {
      expect(out.stdout + out.stderr).not.toContain(TOKEN);
      expect(out.stdout + out.stderr).not.toContain('hooks.slack.com');
    }
  }, 180_000);
});
