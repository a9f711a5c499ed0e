#!/usr/bin/env node
// `npx tidemark …` from the repository: runs the ops CLI's TypeScript through tsx, no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../cli/main.ts', import.meta.url);
await main(process.argv.slice(2));
