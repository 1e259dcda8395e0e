'use strict';
/**
 * esbuild plugins for the function bundles: serverless.yml's `custom.esbuild.plugins` (serverless-esbuild
 * requires this file) and bench/code.ts's builds. Each takes out of an SDK client what the
 * functions never run, without changing a call or its answer (README "Light functions"):
 *
 *   sdkModeledErrors  a client's schema registers every modeled error class of its service (SSM: 140
 *                     classes, 71 KB of a bundle for one GetParameter). Only the classes our code
 *                     imports (`instanceof ConditionalCheckFailedException`) and those the SDK retries
 *                     on their own trait (`$retryable`) stay registered; any other error arrives as the
 *                     client's ServiceException with the same `name`, `message`, `$fault`, `$metadata`
 *                     and fields: the SDK's own fallback for an error its model does not name
 *                     (@aws-sdk/core ProtocolLib.getErrorSchemaOrThrowBaseException). The same pass
 *                     writes the schemas' string constants in place (`inlineStrings`): cheaper to load.
 *   sdkPackageVersion a client reads only `version` of its package.json (the user agent); esbuild would
 *                     bundle the whole file (2 KB a client).
 *   sdkNoEventStreams the SDK's protocols load the event stream codec (15 KB) with a dynamic import,
 *                     only for an operation with an event stream member; none of the functions' calls
 *                     has one. In its place a module that says so, should one ever be called.
 *   sdkNoEndpointDiscovery  DynamoDBClient resolves endpoint discovery's config, building an EndpointCache
 *                     (@aws-sdk/endpoint-cache, an LRU cache from mnemonist and obliterator: 8 KB of a
 *                     bundle), but none of DynamoDB's commands (client-dynamodb 3.1164.0, dist-es/
 *                     commands) adds the middleware that reads it (getEndpointDiscoveryPlugin), so
 *                     `AWS_ENABLE_ENDPOINT_DISCOVERY` changes no call. In its place a cache that
 *                     holds nothing and says so if ever asked. A command that imports the middleware
 *                     (an SDK update that brings discovery back) stops the build.
 *   semverNoSideEffects  semver is CommonJS, whose imports esbuild keeps for their side effects even
 *                     when nothing imported is used; semver has none (its modules define functions
 *                     and tables). The functions test tags with lib/version.ts; only the config's
 *                     parsing, done at package time and dropped from their bundles, uses semver (20 KB
 *                     and ~2.6 ms of cold import otherwise).
 *
 * A client whose files no longer look as these expect stops the build (an SDK update), rather than
 * bundling something other than what was measured.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** Where our code imports from the SDK: every `import { … } from '@aws-sdk/client-…'` here. */
const SOURCES = ['lib', 'functions'];

/** Names our sources import as values from an @aws-sdk/client-* package. */
function importedSdkNames(root = ROOT) {
  const names = new Set();
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (entry.name.endsWith('.ts')) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-[^']+'/g)) {
          for (const spec of m[1].split(',')) {
            const s = spec.trim();
            if (s && !s.startsWith('type ')) names.add(s.split(/\s+as\s+/)[0].trim());
          }
        }
      }
    }
  };
  for (const dir of SOURCES) {
    if (fs.existsSync(path.join(root, dir))) visit(path.join(root, dir));
  }
  return names;
}

const REGISTRATION = /^\s*(\w+)_registry\.registerError\((\w+)\$, (\w+)\);\n/gm;

/** schemas_0.js of a client, its registrations of error classes not in `keep` taken out. */
function pruneRegistrations(text, file, keep) {
  const errorsFile = path.join(path.dirname(file), '..', 'models', 'errors.js');
  const retryable = new Set();
  if (fs.existsSync(errorsFile)) {
    // `export class X extends … { … $retryable = …` : the SDK's retry strategy reads the trait.
    for (const block of fs
      .readFileSync(errorsFile, 'utf8')
      .split(/^export class /m)
      .slice(1)) {
      const name = /^(\w+)/.exec(block)?.[1];
      if (name && /\$retryable\s*=/.test(block)) retryable.add(name);
    }
  }
  let base = 0;
  const out = text.replace(REGISTRATION, (line, registry, _schema, ctor) => {
    // `_s_registry`: the client's ServiceException, what every unregistered error becomes.
    if (registry === '_s') {
      base++;
      return line;
    }
    return keep.has(ctor) || retryable.has(ctor) ? line : '';
  });
  if (base !== 1) {
    throw new Error(
      `${file}: expected one ServiceException registration (_s_registry.registerError), found ${base}: the SDK's layout changed, see scripts/esbuild-plugins.cjs`,
    );
  }
  return inlineStrings(literalKeys(out, file), file);
}

/**
 * `{ [_e]: _c }` → `{ "error": _c }`, `_e` being the file's `const _e = "error"`: the same object, but
 * one esbuild knows has no side effect, so a schema nothing reaches (a pruned error's, an unused
 * operation's) is dropped, where a computed key keeps it.
 */
function literalKeys(text, file) {
  const strings = new Map();
  for (const m of text.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(m[1], m[2]);
  return text.replace(/\[(_\w+)\]:/g, (key, name) => {
    const value = strings.get(name);
    if (value === undefined) throw new Error(`${file}: computed key ${key} is not one of the file's strings`);
    return `${value}:`;
  });
}

const STRING_CONST = /^const (_\w+) = ("[^"\\\n]*");\n/gm;

/**
 * Every use of the file's string constants (`const _sN = "serviceName";`, some 1,300 in ECS's) replaced
 * by the string itself, and the constants gone: the same values, but the schemas become arrays of
 * constants, which V8 builds from a template rather than element by element, and the module has a
 * thousand fewer variables: about 1 ms of a function's cold import (14 → 13 ms to compile), 1.7 KB
 * smaller. Only names outside string literals are replaced (`_\w+` not after `.`), and only in a file
 * with no function parameters, which could shadow them (the schemas' functions are `() => X`).
 */
function inlineStrings(text, file) {
  const strings = new Map();
  for (const m of text.matchAll(STRING_CONST)) strings.set(m[1], m[2]);
  if (strings.size === 0)
    throw new Error(`${file}: no string constants (const _x = "…"): the SDK's layout changed`);
  if (/\([^()]+\)\s*=>|\bfunction\b/.test(text)) {
    throw new Error(
      `${file}: a function with parameters could shadow the string constants: the SDK's layout changed`,
    );
  }
  return text
    .replace(STRING_CONST, '')
    .split(/("(?:[^"\\\n]|\\.)*")/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/(?<![\w$.])_\w+(?![\w$])/g, (name) => strings.get(name) ?? name),
    )
    .join('');
}

function sdkModeledErrors(root = ROOT) {
  return {
    name: 'sdk-modeled-errors',
    setup(build) {
      const keep = importedSdkNames(root);
      build.onLoad(
        { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/ },
        (args) => ({
          contents: pruneRegistrations(fs.readFileSync(args.path, 'utf8'), args.path, keep),
          loader: 'js',
          resolveDir: path.dirname(args.path),
        }),
      );
    },
  };
}

function sdkPackageVersion() {
  return {
    name: 'sdk-package-version',
    setup(build) {
      build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, (args) => {
        const { version } = JSON.parse(fs.readFileSync(args.path, 'utf8'));
        if (typeof version !== 'string') throw new Error(`${args.path}: no version`);
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
    },
  };
}

const NO_EVENT_STREAMS = `const no = () => {
  throw new Error('@smithy/core/event-streams is not bundled in the functions (scripts/esbuild-plugins.cjs): no call of theirs has an event stream');
};
export const eventStreamSerdeProvider = no;
export class EventStreamSerde {
  constructor() {
    no();
  }
}`;

function sdkNoEventStreams() {
  return {
    name: 'sdk-no-event-streams',
    setup(build) {
      build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
        args.kind === 'dynamic-import'
          ? { path: 'no-event-streams', namespace: 'sdk-no-event-streams' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'sdk-no-event-streams' }, () => ({
        contents: NO_EVENT_STREAMS,
        loader: 'js',
      }));
    },
  };
}

const NO_ENDPOINT_CACHE = `const no = () => {
  throw new Error('@aws-sdk/endpoint-cache is not bundled in the functions (scripts/esbuild-plugins.cjs): no DynamoDB command of the SDK uses endpoint discovery');
};
export class EndpointCache {
  getEndpoint() { no(); }
  get() { no(); }
  set() { no(); }
  delete() { no(); }
  has() { no(); }
  clear() { no(); }
}`;

/** The files of a client that may import the discovery middleware: its config resolution only. */
const DISCOVERY_CONFIG =
  /[\\/]client-dynamodb[\\/]dist-es[\\/](DynamoDBClient|runtimeConfig(\.browser|\.native)?)\.js$/;

function sdkNoEndpointDiscovery() {
  return {
    name: 'sdk-no-endpoint-discovery',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/middleware-endpoint-discovery$/ }, (args) => {
        if (DISCOVERY_CONFIG.test(args.importer)) return undefined;
        throw new Error(
          `${args.importer} imports @aws-sdk/middleware-endpoint-discovery: a command uses endpoint discovery, but @aws-sdk/endpoint-cache is left out of the bundles (scripts/esbuild-plugins.cjs)`,
        );
      });
      build.onResolve({ filter: /^@aws-sdk\/endpoint-cache$/ }, () => ({
        path: 'no-endpoint-cache',
        namespace: 'sdk-no-endpoint-discovery',
      }));
      build.onLoad({ filter: /.*/, namespace: 'sdk-no-endpoint-discovery' }, () => ({
        contents: NO_ENDPOINT_CACHE,
        loader: 'js',
      }));
    },
  };
}

function semverNoSideEffects() {
  return {
    name: 'semver-no-side-effects',
    setup(build) {
      build.onResolve({ filter: /^semver(\/|$)/ }, async (args) => {
        if (args.pluginData?.semverNoSideEffects) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { semverNoSideEffects: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}

module.exports = [
  sdkModeledErrors(),
  sdkPackageVersion(),
  sdkNoEventStreams(),
  sdkNoEndpointDiscovery(),
  semverNoSideEffects(),
];
module.exports.importedSdkNames = importedSdkNames;
module.exports.pruneRegistrations = pruneRegistrations;
module.exports.inlineStrings = inlineStrings;
