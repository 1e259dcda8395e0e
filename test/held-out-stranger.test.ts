/**
 * The stranger's held-out scenarios (scenarios/held-out/stranger/*.yml): written from the README
 * alone by a platform engineer trying the verdicts before letting the pipeline near production
 * (crash loops, images that turn bad late, slow and flapping gates, outages, full clusters, a
 * person's hand mid-step). Each file states its verdict in comments, read by
 * test/helpers/verdicts.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkVerdictScenario, verdictsOf } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/stranger/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

describe('held-out stranger scenarios', () => {
  it('each file states at least one verdict', () => {
    expect(FILES.length).toBeGreaterThan(0);
    for (const f of FILES) expect(verdictsOf(readFileSync(DIR + f, 'utf8')), f).not.toEqual([]);
  });

  it.each(FILES)('%s ends as its verdict says', (file) => checkVerdictScenario(DIR + file), 600_000);
});
