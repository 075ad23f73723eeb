#!/usr/bin/env node
// The `netwright` command (package.json "bin"): the built CLI, src-main/cli/netwright.ts.
import '../out/main/netwright.js';
