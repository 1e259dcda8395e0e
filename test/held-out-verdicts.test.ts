/**
 * The held-out verdict scenarios (scenarios/held-out/verdicts/*.yml): written from the README
 * alone, by someone who had not read lib/, over the shapes a platform engineer would try before
 * trusting the verdicts (1 to 500 tasks, alarms in every state, pauses and scale-outs mid-step,
 * tight capacity, late/doubled/dropped events, a person's hand, throttled AWS). Each file states
 * its verdict, deadline, words in Slack and `status` in comments (test/helpers/verdicts.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkVerdictScenario, verdictsOf } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/verdicts/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

describe('held-out verdict scenarios', () => {
  it('each file states at least one verdict', () => {
    expect(FILES.length).toBeGreaterThan(0);
    for (const f of FILES) expect(verdictsOf(readFileSync(DIR + f, 'utf8')), f).not.toEqual([]);
  });

  it.each(FILES)('%s ends as its verdict says', (file) => checkVerdictScenario(DIR + file), 600_000);
});
