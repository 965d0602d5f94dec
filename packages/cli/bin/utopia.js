#!/usr/bin/env node
// The workspace's `utopia` command: a committed launcher, so npm can link it before the build.
await import('../dist/main.js');
