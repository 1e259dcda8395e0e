import { fileURLToPath } from 'node:url';
import { describeVerdictScenarios } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/verdicts/', import.meta.url));

describeVerdictScenarios('held-out verdict scenarios', DIR);
