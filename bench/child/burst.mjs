// Drives one function bundle the way a Lambda container does: one event after another, awaited.
//   node burst.mjs <bundle.mjs> <events.json> <warmup> <count> <result.json>
// The environment points the bundle at the local world (AWS_ENDPOINT_URL, AUTOPILOT_TABLE, …).
// Writes {"eventsPerSecond", "ms", "cpuMsPerEvent", "statuses", "maxRssMB", "rssBeforeMB", "heapUsedMB",
// "rssEvery1000MB"} to <result.json>;
// stdout carries the function's own log lines (the caller discards them).
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [file, eventsFile, warmupArg, countArg, resultFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));
const warmup = Number(warmupArg);
const count = Number(countArg);
const { handler } = await import(pathToFileURL(file).href);
let seq = 0;
const context = () => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ecs-autopilot-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ecs-autopilot-bench',
  memoryLimitInMB: '256',
  awsRequestId: `bench-${seq++}`,
  logGroupName: '/aws/lambda/ecs-autopilot-bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 60_000,
  done() {},
  fail() {},
  succeed() {},
});
const statuses = {};
const rssTrace = [];
const run = async (n, trace) => {
  for (let i = 0; i < n; i++) {
    if (trace && i % 1000 === 0) rssTrace.push(Math.round(process.memoryUsage().rss / 2 ** 20));
    // A fresh copy each time, as each invocation gets its own parsed event.
    const event = structuredClone(events[i % events.length]);
    const result = await handler(event, context());
    statuses[result?.status ?? 'none'] = (statuses[result?.status ?? 'none'] ?? 0) + 1;
  }
};
await run(warmup, false);
for (const k of Object.keys(statuses)) delete statuses[k];
const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(count, true);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
writeFileSync(
  resultFile,
  JSON.stringify({
    eventsPerSecond: (count / ms) * 1000,
    ms,
    // This process's CPU (user + system) per event: our code and the SDK, without the world's answers.
    cpuMsPerEvent: (cpu.user + cpu.system) / 1000 / count,
    statuses,
    // Peak resident set of the whole process (kernel's high-water mark), and where it stood before the burst.
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    rssBeforeMB,
    heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
    rssEvery1000MB: rssTrace,
  }),
);
