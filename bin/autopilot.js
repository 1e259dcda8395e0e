#!/usr/bin/env node
// The `autopilot` command: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

// Node 20 gets a support warning from the AWS SDK on every client; it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();

// A reader that stops early (`autopilot sim x.yml --json | head`) closes the pipe: stop quietly, as
// other commands do, instead of an unhandled EPIPE and its stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

const { main } = await import('../local/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Exit even if something (a client's keep-alive socket, a plug-in's timer) still holds the loop.
setTimeout(() => process.exit(code), 1000).unref();
