/**
 * Scenarios: a local world set up from a YAML file and a timeline played on its virtual clock.
 * The format is in scenarios/README.md.
 *
 *   const { report } = await runScenario(loadScenario('scenarios/demo.yml'), { onWorld });  // to the end
 *   const play = await ScenarioWorld.create(loadScenario(file));   // or drive the clock yourself
 */
export { loadScenario, parseScenario, type Scenario, ScenarioError } from './parse.ts';
export { type PlayedStep, ScenarioWorld } from './play.ts';
export { buildReport, type ReportExtras, type ScenarioReport } from './report.ts';
export { type OnWorld, type Progress, type RunOptions, runScenario, type ScenarioExtension } from './run.ts';
export { formatReport } from './story.ts';
