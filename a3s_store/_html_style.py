"""The style sheet of the HTML export and the notebook views.

Every rule sits under the class ``a3s`` (the export's ``<body>``, the
notebook view's outer ``<div>``), so one sheet serves both and, in a
notebook, touches nothing of the page around it. Colours are mostly
translucent greys over whatever the page is, so the same sheet reads in a
light or a dark notebook theme; the export follows the reader's system
theme (``color-scheme: light dark``).

The look is a chat share page's: a readable column, the user's messages
as bubbles on the right, the assistant's as plain text beside an avatar,
tool calls and their results as collapsible cards under the message that
made them, code blocks with their language in a header.
"""

from __future__ import annotations

__all__ = ["CSS", "PAGE_CSS", "TABLE_CSS"]

_FONT = 'system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Helvetica,Arial,sans-serif'
_MONO = 'ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace'

#: The rules a listing table needs (the notebook views of stores and summaries).
TABLE_CSS = f"""
.a3s{{--line:rgba(127,127,127,.3);--soft:rgba(127,127,127,.08);--soft2:rgba(127,127,127,.16);
--user:rgba(9,105,218,.11);--accent:#0969da;--bad:#d1242f;--good:#1a7f37}}
@media (prefers-color-scheme:dark){{.a3s{{--accent:#4493f8;--bad:#f85149;--good:#3fb950;
--user:rgba(56,139,253,.2)}}}}
.a3s .muted,.a3s .n{{opacity:.62}}
.a3s code{{font:.875em/1.4 {_MONO};background:var(--soft2);padding:.1em .35em;border-radius:5px}}
.a3s table{{border-collapse:collapse;font-size:.9rem}}
.a3s th,.a3s td{{border:1px solid var(--line);padding:.3rem .7rem;text-align:left;
vertical-align:top}}
.a3s th{{background:var(--soft)}}
.a3s table.listing td.num,.a3s table.listing th.num{{text-align:right;
font-variant-numeric:tabular-nums}}
.a3s table.listing td{{white-space:nowrap}}
"""

#: The rules of the transcript and the cards (export and notebook).
CSS = TABLE_CSS + f"""
.a3s{{font:16px/1.6 {_FONT};overflow-wrap:break-word}}
.a3s .n{{font-weight:400;font-size:.8em;color:inherit;text-decoration:none}}
.a3s a{{color:var(--accent)}}
.a3s pre{{font:.82rem/1.5 {_MONO};margin:0;padding:.7rem .9rem;overflow-x:auto}}
.a3s pre code{{background:none;padding:0;font-size:inherit;border-radius:0}}
.a3s .msg{{margin:1.6rem 0;display:flow-root}}
.a3s .who{{display:flex;align-items:center;gap:.5rem;font-size:.85rem;font-weight:600;
margin-bottom:.3rem}}
.a3s .avatar{{width:1.7rem;height:1.7rem;border-radius:50%;display:inline-grid;
place-items:center;font-size:.75rem;color:#fff;background:#8250df;flex:none}}
.a3s .user .avatar{{background:#0969da}}.a3s .system .avatar,.a3s .other .avatar{{
background:#6e7781}}
.a3s .body{{margin-left:2.2rem}}
.a3s .msg.user .who{{flex-direction:row-reverse}}
.a3s .msg.user .body{{margin-left:auto;width:fit-content;max-width:85%;background:var(--user);
border-radius:1.2rem;padding:.55rem 1.1rem}}
.a3s .msg.tool{{margin:-1.45rem 0 1.2rem 2.2rem}}
.a3s .md>:first-child{{margin-top:0}}.a3s .md>:last-child{{margin-bottom:0}}
.a3s .md p,.a3s .md ul,.a3s .md ol{{margin:.55rem 0}}
.a3s .md ul,.a3s .md ol{{padding-left:1.6rem}}.a3s .md li>ul,.a3s .md li>ol{{margin:.15rem 0}}
.a3s .md h3,.a3s .md h4,.a3s .md h5,.a3s .md h6{{margin:1.1rem 0 .4rem;line-height:1.3}}
.a3s .md h3{{font-size:1.3rem}}.a3s .md h4{{font-size:1.12rem}}.a3s .md h5{{font-size:1rem}}
.a3s .md h6{{font-size:.92rem}}
.a3s .md hr{{border:0;border-top:1px solid var(--line);margin:1rem 0}}
.a3s blockquote{{margin:.6rem 0;padding:.05rem 0 .05rem 1rem;border-left:3px solid var(--line);
opacity:.85}}
.a3s .md-code{{border:1px solid var(--line);border-radius:10px;margin:.7rem 0;overflow:hidden;
background:var(--soft)}}
.a3s .md-lang{{font:600 .72rem/1 {_FONT};letter-spacing:.02em;padding:.5rem .9rem;
background:var(--soft2);border-bottom:1px solid var(--line)}}
.a3s .md-table{{overflow-x:auto;margin:.7rem 0}}
.a3s .md-refused{{opacity:.62;font-size:.9em}}
.a3s .md-task{{font-size:1.05em}}
.a3s .text{{white-space:pre-wrap}}
.a3s details.card{{border:1px solid var(--line);border-radius:10px;margin:.55rem 0;
background:var(--soft)}}
.a3s details.card>summary{{padding:.4rem .8rem;cursor:pointer;font-size:.85rem;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.a3s details.card>summary code{{background:none;padding:0}}
.a3s details.card[open]>summary{{border-bottom:1px solid var(--line)}}
.a3s details.card pre{{white-space:pre-wrap;overflow-wrap:anywhere;max-height:32rem;
overflow:auto}}
.a3s .error,.a3s .failed{{color:var(--bad)}}
.a3s .passed,.a3s .ok{{color:var(--good)}}
.a3s details.card.error{{border-color:var(--bad);color:inherit}}
.a3s details.reasoning{{margin:.2rem 0 .6rem;font-size:.92rem}}
.a3s details.reasoning>summary{{cursor:pointer;opacity:.7}}
.a3s details.reasoning>.md{{border-left:2px solid var(--line);padding-left:.9rem;opacity:.8;
margin-top:.3rem}}
.a3s .image img{{max-width:100%;max-height:36rem;border-radius:8px;
border:1px solid var(--line)}}
.a3s .image{{margin:.5rem 0}}
.a3s .gap{{text-align:center;margin:1rem 0;font-size:.85rem;opacity:.62}}
"""

#: What only the exported page adds: the page itself, its header and sections.
PAGE_CSS = """
:root{color-scheme:light dark}
body.a3s{max-width:48rem;margin:2.5rem auto 4rem;padding:0 1.2rem}
.a3s header h1{font-size:1.7rem;line-height:1.25;margin:0 0 .4rem}
.a3s .meta{font-size:.88rem;opacity:.7}
.a3s header details{margin:.6rem 0 0;font-size:.88rem}
.a3s header summary{cursor:pointer;opacity:.7}
.a3s dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;
margin:.5rem 0}
.a3s dl.facts dt{opacity:.62}.a3s dl.facts dd{margin:0;overflow-wrap:anywhere}
.a3s section>h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;opacity:.62;
border-bottom:1px solid var(--line);padding-bottom:.35rem;margin:2.6rem 0 1rem}
.a3s .scroll{overflow-x:auto}.a3s .scroll>table{width:100%}
.a3s ol.timeline{list-style:none;padding-left:0;font-size:.88rem}
.a3s ol.timeline li{margin:.1rem 0}
.a3s ol.timeline details pre{font-size:.78rem;background:var(--soft);border-radius:6px}
.a3s time{opacity:.62;font-variant-numeric:tabular-nums}
.a3s footer{margin-top:3rem;font-size:.8rem;opacity:.55}
.a3s details.run>summary,.a3s details.report>summary{font-size:.9rem}
.a3s details.run,.a3s details.report{padding:0 0 .3rem}
.a3s details.run>:not(summary),.a3s details.report>:not(summary){margin:.4rem .8rem}
"""
