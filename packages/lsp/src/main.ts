// The server process: `node dist/main.js --stdio`. Bundled into the VS Code extension.
import { startNodeServer } from './node.js';

startNodeServer();
