/**
 * The Tidemark ops CLI: `npx tidemark <command>` (or `npm run tidemark -- <command>`); `--help` on
 * any command lists its flags. Acts on the local runtime by default and on a deployed stack with
 * `--stack NAME`. The commands live in `program.ts`.
 */
import { buildCli } from './program.js';
import { processOutput, runProgram, type Output } from './run-program.js';

export type { Output } from './run-program.js';

export function runCli(argv: string[], io: Output): Promise<number> {
  return runProgram(buildCli, argv, io);
}

/** The entry point of `bin/tidemark-cli.mjs` and `npm run tidemark`. */
export async function main(argv: string[]): Promise<never> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exit(await runCli(argv, processOutput()));
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
