/**
 * The post preview as an interactive view (MCP Apps view of instagram_preview_post): the rendered
 * preview image, the caption as the feed shows it with "… more" that opens the full text (from the
 * call's arguments), what each carousel item loses to the crop, and what would block publishing.
 */
import { addStyle, BASE_CSS, connectApp, el } from './common.js';

interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Preview {
  account: { username: string } | null;
  kind: string;
  feed: { ratio: number; width: number; height: number };
  items: Array<{ index: number; label: string; media_type: string; width: number | null; height: number | null; ratio: number | null; crop: Crop | null; cropped: boolean; note?: string }>;
  grid: { ratio: number; crop: Crop | null };
  caption: { length: number; limit: number; visible: string; truncated: boolean; hashtags: { count: number; limit: number }; mentions: { count: number; limit: number } };
  issues: Array<{ field: string; code: string; message: string }>;
  next_step?: string;
}

addStyle(`${BASE_CSS}
.layout { display: flex; flex-wrap: wrap; gap: 16px; }
#image { max-width: 360px; width: 100%; border: 1px solid var(--line); border-radius: 8px; }
.side { flex: 1 1 260px; min-width: 0; }
#caption { white-space: pre-wrap; border: 1px solid var(--line); border-radius: 8px; padding: 8px; margin: 0 0 8px; }
#caption .more { color: var(--muted); cursor: pointer; border: 0; padding: 0; }
.over { color: #c0392b; font-weight: 600; }
#issues li { color: #c0392b; }
`);

const image = el('img', { id: 'image', alt: 'Preview of the post as Instagram will show it' });
const caption = el('p', { id: 'caption' });
const limits = el('div', { class: 'row', id: 'limits' });
const items = el('table', { id: 'items' });
const issues = el('ul', { id: 'issues' });
const next = el('p', { class: 'muted', id: 'next' });
const status = el('div', { class: 'status', role: 'status' }, 'Waiting for the preview…');
document.body.append(el('div', { class: 'layout' }, image, el('div', { class: 'side' }, caption, limits, items, issues, next)), status);

let fullCaption: string | undefined;
let expanded = false;

function renderCaption(p: Preview): void {
  const who = el('b', {}, p.account ? `${p.account.username} ` : '');
  if (expanded && fullCaption !== undefined) {
    caption.replaceChildren(who, fullCaption);
    return;
  }
  caption.replaceChildren(who, p.caption.visible);
  if (p.caption.truncated) {
    const more = el('button', { class: 'more', id: 'more' }, '… more');
    more.disabled = fullCaption === undefined;
    more.addEventListener('click', () => {
      expanded = true;
      renderCaption(p);
    });
    caption.append(more);
  }
}

function count(label: string, value: number, limit: number): HTMLElement {
  return el('span', { class: value > limit ? 'over' : 'muted' }, `${label} ${value}/${limit}`);
}

function render(p: Preview, imageBlock: { data: string; mimeType: string } | undefined): void {
  if (imageBlock) image.src = `data:${imageBlock.mimeType};base64,${imageBlock.data}`;
  renderCaption(p);
  limits.replaceChildren(count('characters', p.caption.length, p.caption.limit), count('hashtags', p.caption.hashtags.count, p.caption.hashtags.limit), count('@mentions', p.caption.mentions.count, p.caption.mentions.limit));
  const crop = (c: Crop | null) => (c ? `${c.width}×${c.height} at ${c.x},${c.y}` : '—');
  items.replaceChildren(
    el('tr', {}, el('th', {}, '#'), el('th', {}, 'media'), el('th', {}, 'size'), el('th', {}, `feed crop (${p.feed.ratio.toFixed(2)})`)),
    ...p.items.map((item) =>
      el(
        'tr',
        {},
        el('td', {}, String(item.index + 1)),
        el('td', {}, item.label),
        el('td', {}, item.width && item.height ? `${item.width}×${item.height}` : item.media_type),
        el('td', {}, item.cropped ? crop(item.crop) : item.note ?? 'shown whole'),
      ),
    ),
    el('tr', {}, el('td', {}, 'grid'), el('td', {}, 'profile tile'), el('td', {}, '3:4'), el('td', {}, crop(p.grid.crop))),
  );
  issues.replaceChildren(...p.issues.map((i) => el('li', {}, i.message)));
  next.textContent = p.next_step ?? '';
  status.textContent = p.issues.length ? `${p.issues.length} thing(s) to fix before publishing.` : 'Ready to publish.';
}

void connectApp('instagram-mcp post preview', (app) => {
  app.ontoolinput = ({ arguments: args }) => {
    if (typeof args?.caption === 'string') fullCaption = args.caption;
  };
  app.ontoolresult = (result) => {
    const structured = result.structuredContent as (Preview & { preview?: Preview }) | undefined;
    if (result.isError || !structured) {
      const text = result.content?.find((c) => c.type === 'text');
      status.textContent = text && 'text' in text ? text.text.split('\n')[0]! : 'The preview failed.';
      return;
    }
    const block = result.content?.find((c) => c.type === 'image');
    render(structured.preview ?? structured, block && 'data' in block ? { data: block.data, mimeType: block.mimeType } : undefined);
  };
}).catch((err: unknown) => {
  status.textContent = `Could not connect to the host: ${err instanceof Error ? err.message : String(err)}`;
});
