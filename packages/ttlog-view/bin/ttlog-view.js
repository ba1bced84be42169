#!/usr/bin/env node
// The installed command. It lives outside dist/ so that npm links it at install time, before a
// checkout of the repository has built the CLI it loads.
import '../dist/bin.js';
