// Cold import of one bundle in a fresh Node process: the module's evaluation, as a Lambda init does it.
// Prints {"importMs":…,"rssMB":…} on stdout.
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
const t0 = performance.now();
const mod = await import(pathToFileURL(file).href);
const importMs = performance.now() - t0;
if (typeof mod.handler !== 'function') throw new Error(`${file} exports no handler`);
process.stdout.write(JSON.stringify({ importMs, rssMB: process.memoryUsage().rss / 2 ** 20 }));
