#!/usr/bin/env node
// The routelang command. Runs the compiled CLI; build it first with `pnpm build`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
