#!/usr/bin/env node
// Entry of the `lifeline-storm` bin (via bin/lifeline-storm.js → dist/cli.js).
import { main } from './cli/main';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
