// HTML helpers for the status page: escaping, tables and the page around the views.

const NEEDS_ESCAPE = /[&<>"'\u0100-\uffff]/;

/** Escapes text for HTML content and double-quoted attributes. */
export function esc(text: string | number | null | undefined): string {
  const s = String(text ?? "");
  // Most text has nothing to escape: one scan instead of six replaces (hundreds per page).
  if (!NEEDS_ESCAPE.test(s)) return s;
  return (
    s
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;")
      // Beyond Latin-1 as character references: one such character would make V8 store the whole
      // page two bytes a character, and a big page so stored costs a millisecond more to build.
      .replace(/[\u0100-\u{10ffff}]/gu, (c) => `&#${c.codePointAt(0) ?? 63};`)
  );
}

/** A table of already-escaped cells; `empty` is shown when there are no rows. */
export function table(
  headers: readonly string[],
  rows: readonly string[][],
  empty: string,
): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** An instant for people ("2026-12-06 02:19 UTC"), with the exact ISO time in `datetime`. */
export function when(iso: string): string {
  const short = iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
  return `<time datetime="${esc(iso)}">${esc(short)}</time>`;
}

/** A duration in words a person reads at a glance: 850 ms, 12.4 s, 3 min, 2 h. */
export function duration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export interface PageFrame {
  /** The viewer's login, or null. */
  login: string | null;
  admin: boolean;
  signInAvailable: boolean;
  /** The rendered views. */
  main: string;
  now: string;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{display:flex;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:#24292f;color:#fff}
header h1{font-size:1.1rem;margin:0;flex:1}header a,header button{color:#fff}
header form{margin:0}header button{background:none;border:1px solid #fff6;border-radius:6px;padding:.2rem .6rem;cursor:pointer}
main{padding:1rem 1.5rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr))}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem;overflow:auto}
section h2{font-size:1rem;margin:.1rem 0 .5rem;display:flex;justify-content:space-between}
section h2 a{font-size:.75rem;font-weight:normal;color:#57606a}
#view-activity td:not(:last-child),#view-deploys td:nth-child(-n+2){white-space:nowrap}
section h3{font-size:.85rem;margin:.75rem 0 .25rem;color:#57606a}time{white-space:nowrap}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-weight:600;color:#57606a}.empty{color:#57606a;margin:.25rem 0}
.ok{color:#1a7f37}.error{color:#cf222e}.wait{color:#9a6700}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dt{color:#57606a}dd{margin:0}
footer{padding:0 1.5rem 1rem;color:#57606a;font-size:.8rem}
#view-environments{grid-column:1/-1}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 .5rem}
.filters select,.filters input,.filters button{font:inherit;padding:.15rem .4rem;border:1px solid #d0d7de;border-radius:6px;background:#fff;color:#1f2328}
.filters button{background:#f6f8fa;cursor:pointer}
h3.board{font-size:.95rem;color:#1f2328;margin-top:1rem}h3.board .meta{font-weight:normal;color:#57606a;font-size:.8rem}
table.matrix{table-layout:fixed}table.matrix th[scope=row]{font-weight:600;color:#1f2328;overflow-wrap:anywhere}
table.matrix thead th:first-child{width:14rem}td.cell{font-size:.85rem}td.none{color:#6e7781}
.version{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}
.badge{display:inline-block;padding:0 .45rem;border-radius:1em;font-size:.75rem;font-weight:600;border:1px solid transparent;white-space:nowrap}
.st-verified{background:#dafbe1;color:#116329;border-color:#4ac26b66}.st-verifying{background:#ddf4ff;color:#0550ae;border-color:#54aeff66}
.st-soaking,.wait-soak{background:#fff8c5;color:#7d4e00;border-color:#d4a72c66}.st-failed,.wait-verification{background:#ffebe9;color:#a40e26;border-color:#ff818266}
.st-held,.wait-hold{background:#fbefff;color:#6e40c9;border-color:#c297ff66}.st-pinned{background:#eaeef2;color:#424a53;border-color:#afb8c166}
.wait-freeze{background:#ddf4ff;color:#0550ae;border-color:#54aeff66}.wait-approvals{background:#fff1e5;color:#953800;border-color:#fb8f4466}
.prod{font-size:.7rem;font-weight:normal;color:#953800}.links a{color:#0969da}.hold{color:#6e40c9}
.more{margin:.5rem 0;color:#57606a}details{margin:.5rem 0}summary{cursor:pointer;color:#57606a}`;

/** The whole page; the views go in `main`, which the refresh script replaces in place. */
export function page(frame: PageFrame): string {
  const who = frame.login
    ? `<span data-testid="viewer">${esc(frame.login)}${frame.admin ? " (operator)" : ""}</span>` +
      `<form method="post" action="/status/logout"><button type="submit">Sign out</button></form>`
    : frame.signInAvailable
      ? `<a href="/status/login" data-testid="sign-in">Sign in with GitHub</a>`
      : `<span>Sign-in is not configured</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>monobot status</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/status/status.css">
<script src="/status/refresh.js" defer></script></head>
<body><header><h1>monobot status</h1>${who}</header>
<main id="views">${frame.main}</main>
<footer>Updated <time id="updated" datetime="${esc(frame.now)}">${esc(frame.now)}</time>; refreshes every few seconds while this tab is visible.</footer>
</body></html>
`;
}

export const STATUS_CSS = STYLE;

/**
 * The refresh script, served as a file so the page's Content-Security-Policy allows no inline
 * script. It polls the server-rendered views and swaps them in; a hidden tab does not poll.
 */
export const REFRESH_JS = `"use strict";
(function () {
  var every = 3000, timer = null, etag = null;
  function schedule() { clearTimeout(timer); if (!document.hidden) timer = setTimeout(refresh, every); }
  function editing() {
    var a = document.activeElement;
    return !!a && (a.tagName === "INPUT" || a.tagName === "SELECT") && !!a.closest("#views");
  }
  function refresh() {
    // The views keep the page's filters; a filter being edited is not swapped away under the cursor.
    if (editing()) return schedule();
    var headers = { accept: "text/html" };
    if (etag) headers["if-none-match"] = etag;
    fetch("/status/views" + location.search, { credentials: "same-origin", headers: headers })
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error(String(r.status));
        etag = r.headers.get("etag");
        return r.text();
      })
      .then(function (html) {
        var main = document.getElementById("views");
        if (main && html !== null && main.innerHTML !== html) main.innerHTML = html;
        var t = document.getElementById("updated");
        if (t) t.textContent = new Date().toISOString();
      })
      .catch(function () { /* the next poll tries again */ })
      .then(schedule);
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.tagName === "SELECT" && t.form && t.form.hasAttribute("data-filters")) t.form.submit();
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); else clearTimeout(timer); });
  schedule();
})();
`;
