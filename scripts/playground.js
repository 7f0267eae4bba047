// `pnpm playground`: builds the playground (packages/playground/dist, a static site) and serves
// it on 127.0.0.1 (PORT, default 5180). The built files can be hosted anywhere as they are.

import { buildPlayground } from '../packages/playground/scripts/build.js';
import { serveStatic } from '../packages/playground/scripts/serve.js';

const { dist } = await buildPlayground();
const { url } = await serveStatic(dist, Number(process.env.PORT ?? 5180));
console.log(`the playground is at ${url}/ (built into ${dist}); Ctrl+C stops it`);
