#!/usr/bin/env node
// A committed launcher, so npm links the `vigil` command at install time, before the build
// has written dist/ (npm skips bins whose file does not exist yet).
import '../dist/bin.js';
