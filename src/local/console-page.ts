/**
 * The local mode's web console: one page that stands in for a Slack channel, its threads and the
 * incident channel. It renders the bot's Block Kit messages (sections, fields, context, code,
 * dividers, buttons with their confirm dialogs) from /console/state, and sends what the user types
 * or clicks to /console/command and /console/action, which sign it the way Slack does.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>netcheck — local console</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 1fr 1fr; height: 100vh; color: #1d1c1d; }
  header { grid-column: 1 / 3; padding: 8px 14px; background: #3f0e40; color: #fff; display: flex; gap: 16px; align-items: center; }
  header select { font-size: 14px; }
  section.pane { overflow-y: auto; padding: 10px 14px; border-right: 1px solid #ddd; }
  h2 { font-size: 15px; margin: 4px 0 10px; }
  .msg { border-bottom: 1px solid #eee; padding: 8px 0; }
  .who { font-weight: 700; font-size: 13px; color: #555; }
  .thread { margin: 6px 0 0 18px; padding-left: 10px; border-left: 3px solid #ddd; }
  .ephemeral { background: #fff8e1; padding: 6px; border-radius: 4px; margin: 4px 0; }
  pre { background: #f6f6f6; border: 1px solid #e4e4e4; padding: 6px; white-space: pre-wrap; font-size: 12px; }
  code { background: #f2f2f2; padding: 0 3px; border-radius: 3px; font-size: 12px; }
  .context { color: #616061; font-size: 12px; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 12px; }
  button.btn { margin: 4px 6px 4px 0; padding: 4px 12px; border: 1px solid #bbb; background: #fff; border-radius: 4px; cursor: pointer; }
  button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  button.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
  form#compose { display: flex; gap: 6px; position: sticky; bottom: 0; background: #fff; padding: 8px 0; }
  form#compose input { flex: 1; padding: 6px; font-size: 14px; }
  dialog { max-width: 420px; }
  .file img { max-width: 100%; border: 1px solid #ddd; margin-top: 4px; }
  .audit { font-family: ui-monospace, monospace; font-size: 12px; border-bottom: 1px solid #f0f0f0; padding: 3px 0; }
</style>
</head>
<body>
<header>
  <b>netcheck local console</b>
  <label>You are <select id="user"></select></label>
  <span id="status"></span>
</header>
<section class="pane">
  <h2 id="main-title"># incident</h2>
  <div id="ephemerals"></div>
  <div id="channel"></div>
  <form id="compose"><input id="text" autocomplete="off" placeholder="/netcheck node-3" value="/netcheck "><button class="btn primary" type="submit">Send</button></form>
</section>
<section class="pane">
  <h2 id="audit-title"># incident-audit</h2>
  <div id="audit"></div>
</section>
<dialog id="confirm"><form method="dialog">
  <h3 id="confirm-title"></h3><p id="confirm-text"></p>
  <button class="btn" value="deny" id="confirm-deny"></button>
  <button class="btn danger" value="ok" id="confirm-ok"></button>
</form></dialog>
<script>
const $ = (id) => document.getElementById(id);
let state = { users: [], channel: '', auditChannel: '', messages: [], ephemerals: [] };
const names = () => Object.fromEntries(state.users.map((u) => [u.id, u.name]));
const emoji = { white_check_mark: '✅', x: '❌', warning: '⚠️', gear: '⚙️', no_entry: '⛔', octagonal_sign: '🛑',
  hourglass_flowing_sand: '⏳', leftwards_arrow_with_hook: '↩️', mag: '🔍', red_circle: '🔴', large_green_circle: '🟢',
  large_yellow_circle: '🟡', white_circle: '⚪', question: '❓', rotating_light: '🚨', wrench: '🔧', stethoscope: '🩺' };

// Everything shown is escaped, quotes too: text also lands inside attributes (href, data-*).
function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'); }
function mrkdwn(text) {
  const blocks = [];
  let s = esc(text).replace(/\`\`\`([\\s\\S]*?)\`\`\`/g, (_, c) => { blocks.push('<pre>' + c + '</pre>'); return '\\u0000' + (blocks.length - 1) + '\\u0000'; });
  s = s.replace(/\`([^\`\\n]+)\`/g, '<code>$1</code>')
    .replace(/(^|[\\s(])\\*([^*\\n]+)\\*/g, '$1<b>$2</b>')
    .replace(/(^|[\\s(])_([^_\\n]+)_/g, '$1<i>$2</i>')
    .replace(/&lt;(https?:[^|&]+)\\|([^&]+)&gt;/g, '<a href="$1" target="_blank" rel="noopener noreferrer">$2</a>')
    .replace(/&lt;@([A-Z0-9]+)&gt;/g, (_, u) => '<b>@' + esc(names()[u] || u) + '</b>')
    .replace(/&lt;#([A-Z0-9]+)&gt;/g, (_, c) => '#' + (c === state.channel ? 'incident' : c))
    .replace(/:([a-z0-9_+-]+):/g, (m, e) => emoji[e] || m)
    .replace(/\\n/g, '<br>');
  // The bot escapes &, < and > as Slack wants; a Slack client shows them as the characters.
  return s.replace(/\\u0000(\\d+)\\u0000/g, (_, i) => blocks[Number(i)]).replace(/&amp;(amp|lt|gt);/g, '&$1;');
}
function textOf(t) { return t ? (t.type === 'plain_text' ? esc(t.text) : mrkdwn(t.text)) : ''; }
// Files shared into a thread: a picture is shown (the mesh heatmap), anything else is a link.
function renderFiles(m) {
  return (m.files || []).map((f) => /\\.png$/.test(f.filename)
    ? '<div class="file"><img alt="' + esc(f.title || f.filename) + '" src="/console/files/' + esc(f.id) + '"></div>'
    : '<div class="file"><a href="/console/files/' + esc(f.id) + '" download="' + esc(f.filename) + '">📎 ' + esc(f.filename) + '</a></div>').join('');
}
function renderBlocks(m) {
  if (m.files && m.files.length > 0) return '<div>' + mrkdwn(m.text) + '</div>' + renderFiles(m);
  if (!m.blocks || m.blocks.length === 0) return '<div>' + mrkdwn(m.text) + '</div>';
  return m.blocks.map((b) => {
    if (b.type === 'section') return '<div class="section">' + textOf(b.text) + (b.fields ? '<div class="fields">' + b.fields.map((f) => '<div>' + textOf(f) + '</div>').join('') + '</div>' : '') + '</div>';
    if (b.type === 'header') return '<h3>' + textOf(b.text) + '</h3>';
    if (b.type === 'context') return '<div class="context">' + (b.elements || []).map(textOf).join(' ') + '</div>';
    if (b.type === 'divider') return '<hr>';
    if (b.type === 'actions') return '<div>' + (b.elements || []).filter((e) => e.type === 'button').map((e) =>
      '<button class="btn ' + (e.style || '') + '" data-ts="' + esc(m.ts) + '" data-action="' + esc(e.action_id) + '" data-value="' + esc(e.value || '') + '" data-confirm="' + esc(JSON.stringify(e.confirm || null)) + '">' + textOf(e.text) + '</button>').join('') + '</div>';
    return '<div class="context">[' + esc(b.type) + ' block]</div>';
  }).join('');
}
function render() {
  const me = $('user').value;
  const top = state.messages.filter((m) => m.channel === state.channel && !m.threadTs);
  $('channel').innerHTML = top.map((m) => '<div class="msg" data-ts="' + esc(m.ts) + '"><div class="who">netcheck</div>' + renderBlocks(m) +
    '<div class="thread">' + state.messages.filter((r) => r.threadTs === m.ts).map((r) => '<div class="msg reply"><div class="who">netcheck</div>' + renderBlocks(r) + '</div>').join('') + '</div></div>').join('');
  $('ephemerals').innerHTML = state.ephemerals.filter((e) => e.user === me).slice(-3).map((e) => '<div class="ephemeral"><span class="context">Only visible to you</span><br>' + mrkdwn(e.text) + '</div>').join('');
  $('audit').innerHTML = state.messages.filter((m) => m.channel === state.auditChannel).map((m) => '<div class="audit">' + mrkdwn(m.text) + '</div>').join('');
}
async function refresh() {
  try {
    const res = await fetch('/console/state');
    const next = await res.json();
    const first = state.users.length === 0;
    state = next;
    if (first) $('user').innerHTML = state.users.map((u) => '<option value="' + esc(u.id) + '">' + esc(u.name) + '</option>').join('');
    render();
    $('status').textContent = '';
  } catch (e) { $('status').textContent = 'console not reachable: ' + e.message; }
}
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  if (answer.error) $('status').textContent = answer.error;
  await refresh();
}
$('compose').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  const m = /^\\/netcheck\\b\\s*(.*)$/.exec(text);
  if (!m) { $('status').textContent = 'type a command such as /netcheck node-3'; return; }
  post('/console/command', { user: $('user').value, text: m[1] });
  $('text').value = '/netcheck ';
});
$('user').addEventListener('change', render);
document.addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-action]');
  if (!b) return;
  const click = () => post('/console/action', { user: $('user').value, messageTs: b.dataset.ts, actionId: b.dataset.action, value: b.dataset.value });
  const confirm = JSON.parse(b.dataset.confirm);
  if (!confirm) return click();
  $('confirm-title').textContent = confirm.title.text;
  $('confirm-text').innerHTML = textOf(confirm.text);
  $('confirm-ok').textContent = confirm.confirm.text;
  $('confirm-deny').textContent = confirm.deny.text;
  $('confirm').onclose = () => { if ($('confirm').returnValue === 'ok') click(); };
  $('confirm').showModal();
});
refresh();
setInterval(refresh, 700);
</script>
</body>
</html>
`;
