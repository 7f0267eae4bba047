#!/usr/bin/env node
// The Routelang language server over stdio: `routelang-lsp --stdio`.
import '../dist/main.js';
