// Part of `npm run build`: bundles each MCP App view (src/apps/views) into the HTML document the
// built server answers for its ui:// resource, at dist/apps/views/<entry>.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP_VIEWS, bundleView } from '../src/apps/index.js';

const out = path.resolve(import.meta.dirname, '../dist/apps/views');
mkdirSync(out, { recursive: true });
for (const view of APP_VIEWS) {
  const html = await bundleView(view);
  writeFileSync(path.join(out, `${view.entry}.html`), html);
  console.log(`dist/apps/views/${view.entry}.html: ${Math.round(html.length / 1024)} KB`);
}
