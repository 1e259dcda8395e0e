/** AWS event samples kept in `test/fixtures/events/` (sources in its SOURCES.md). */
import { readFileSync } from 'node:fs';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;
}
