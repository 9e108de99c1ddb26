#!/usr/bin/env node
// Committed shim so the bin exists at install time, before dist/ is built.
import '../dist/cli.js';
