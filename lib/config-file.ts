/**
 * autopilot.yml, read: YAML text -> a validated Config (lib/config.ts), each problem with its line.
 * Apart from config.ts so that what imports the config's rules (every Lambda, through the pipeline)
 * does not bundle a YAML parser: the Lambdas get the config parsed at package time
 * (lib/packaged-config.ts); the CLI, the package step and the tests read the file here.
 */
import { readFile } from 'node:fs/promises';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { type Config, ConfigError, validateConfig } from './config.ts';

/** YAML text -> a validated Config; throws ConfigError with every problem and its line. */
export function parseConfig(text: string, file = 'config'): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        line: e.linePos?.[0].line,
      })),
      file,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    throw new ConfigError([{ path: '', message: `invalid YAML: ${(err as Error).message}` }], file);
  }
  return validateConfig(raw, file, (path) => lineOf(doc, lineCounter, path));
}

/** Reads and validates the file at `path`; throws ConfigError, also when the file cannot be read. */
export async function loadConfig(path: string): Promise<Config> {
  return parseConfig(await readConfigFile(path), path);
}

/** The text of the config file at `path`; a file that cannot be read is a ConfigError naming it. */
export async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot be read: ${(err as Error).message}` }], path);
  }
}

/** The line of the node at `path`, or of its nearest ancestor present in the document. */
function lineOf(doc: Document, lineCounter: LineCounter, path: string): number | undefined {
  const segments = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}
