/**
 * The dashboard page: one HTML document with its CSS and JS inline (no CDN, no external request: the
 * Content-Security-Policy allows only these exact inline blocks, by hash, and fetches to this origin).
 * The script polls `/dashboard/api/*`, fetches only what changed (the overview carries versions) and
 * updates the DOM in place: table cells are rewritten only when their text changes, rows are re-ordered
 * only when the order changes, charts are drawn on <canvas> by the small plotting code below. All data is
 * put in the page as text (never as HTML), so prompts cannot inject markup.
 */
import { createHash } from "node:crypto"

const CSS = `
:root{--bg:#0d1117;--panel:#151b23;--panel2:#1d2430;--border:#283141;--text:#e6edf3;--muted:#8d98a8;--accent:#4f9dff;--good:#3ddc97;--warn:#ffb547;--bad:#f25f7a}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--text);font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
header{display:flex;align-items:center;gap:22px;padding:10px 20px;background:var(--panel);border-bottom:1px solid var(--border);position:sticky;top:0;z-index:3}
.brand{font-weight:700;font-size:16px;letter-spacing:.01em}.brand small{color:var(--muted);font-weight:400;margin-left:8px;font-size:12px}
nav{display:flex;gap:4px}nav a{color:var(--muted);text-decoration:none;padding:6px 12px;border-radius:6px}
nav a.active,nav a:hover{color:var(--text);background:var(--panel2)}
.status{margin-left:auto;display:flex;align-items:center;gap:8px;color:var(--muted)}
.dot{width:9px;height:9px;border-radius:50%;background:var(--muted)}.dot.live{background:var(--good);box-shadow:0 0 6px var(--good)}.dot.down{background:var(--bad)}
main{padding:16px 20px;max-width:1680px;margin:0 auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px;margin-bottom:14px}
.card{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:9px 12px;min-width:0}
.card .label{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:20px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .sub{color:var(--muted);font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.panel{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:12px 14px;margin-bottom:14px;min-width:0}
.panel h2{font-size:13px;margin:0 0 8px;font-weight:600}.panel h2 .muted{font-weight:400}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}.grid3{display:grid;grid-template-columns:1fr 1fr 1fr;gap:14px}
@media (max-width:1100px){.grid2,.grid3{grid-template-columns:1fr}}
canvas.chart{width:100%;height:220px;display:block}canvas.bars{width:100%;height:220px;display:block}
.sub2{color:var(--muted);font-size:12px;margin:-4px 0 6px}
#view-requests .tablewrap{max-height:none}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin-top:6px;color:var(--muted);font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.tablewrap{background:var(--panel);border:1px solid var(--border);border-radius:8px;overflow:auto;max-height:calc(100vh - 140px)}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 9px;text-align:left;border-bottom:1px solid var(--border);white-space:nowrap}
th{position:sticky;top:0;background:var(--panel2);color:var(--muted);font-weight:600;cursor:pointer;user-select:none;font-size:12px;z-index:1}
th.sorted{color:var(--text)}th.num,td.num{text-align:right}
tbody tr:hover{background:var(--panel2);cursor:pointer}tr.self td{color:var(--accent)}tr.picked td{background:rgba(79,157,255,.12)}
.toolbar{display:flex;align-items:center;gap:10px;margin-bottom:10px;flex-wrap:wrap}
input,select,button{background:var(--panel2);color:var(--text);border:1px solid var(--border);border-radius:6px;padding:5px 9px;font:inherit}
button{cursor:pointer}button:disabled{opacity:.4;cursor:default}
td.clip{max-width:260px;overflow:hidden;text-overflow:ellipsis}
.cons{display:flex;gap:2px;align-items:flex-end;height:18px}.cons span{width:8px;background:var(--accent);border-radius:1px;min-height:2px}.cons span:first-child{background:var(--good)}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:11px;background:var(--panel2);border:1px solid var(--border)}
.badge.scored{color:var(--good);border-color:rgba(61,220,151,.45)}.badge.pending{color:var(--warn);border-color:rgba(255,181,71,.45)}
.detail .completion{border-top:1px solid var(--border);padding:8px 0}.detail .text{white-space:pre-wrap;word-break:break-word}
.detail .prompt{white-space:pre-wrap;word-break:break-word;background:var(--panel2);border-radius:6px;padding:8px 10px;margin:6px 0 10px}
.meter{height:6px;background:var(--panel2);border-radius:3px;overflow:hidden;margin:4px 0;max-width:420px}.meter span{display:block;height:100%;background:var(--accent)}
.kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px 16px}.kv div{min-width:0;overflow:hidden;text-overflow:ellipsis}.kv span{display:block;color:var(--muted);font-size:11px}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.muted{color:var(--muted)}.error{color:var(--bad)}.empty{color:var(--muted);padding:16px}
[hidden]{display:none!important}
`

// Plain ES2019 in a string: no backticks or template placeholders inside.
const JS = String.raw`
(function () {
  "use strict";
  var API = "/dashboard/api/";
  var PALETTE = ["#4f9dff", "#ff8a3d", "#3ddc97", "#f25f7a", "#b48cff", "#ffd23d", "#3dd6f2", "#c9d1d9", "#ff6ad5", "#7ee787"];
  var S = {
    view: "overview", pollMs: 3000, versions: null, overview: null, metagraph: null, history: null, requests: null,
    sortKey: "uid", sortDir: 1, filter: "", selectedUid: null, reqOffset: 0, reqLimit: 25, detailId: null,
    rows: new Map(), orderSig: "", uidSig: "", busy: false, failures: 0
  };
  var stats = { firstRenderMs: null, ticks: 0, updates: 0, renders: [] };
  window.__dojoDashboard = stats;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function setText(node, text) { text = String(text); if (node.textContent !== text) node.textContent = text; }
  function short(hk) { return !hk ? "" : hk.length <= 12 ? hk : hk.slice(0, 5) + "\u2026" + hk.slice(-4); }
  function fixed(x, d) { return x === null || x === undefined ? "\u2014" : Number(x).toFixed(d); }
  function pct(x) { return x === null || x === undefined ? "\u2014" : (x * 100).toFixed(1) + "%"; }
  function money(x) { return x === null || x === undefined ? "\u2014" : Number(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
  function count(n) { return n === null || n === undefined ? "\u2014" : Number(n).toLocaleString("en-US"); }
  function bytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    if (n < 1073741824) return (n / 1048576).toFixed(1) + " MiB";
    return (n / 1073741824).toFixed(2) + " GiB";
  }
  function ago(t) {
    var s = Date.now() / 1000 - t;
    if (s < 60) return Math.max(0, Math.round(s)) + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return (s / 3600).toFixed(1) + " h ago";
    return (s / 86400).toFixed(1) + " d ago";
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function clock(t) { var d = new Date(t * 1000); return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function day(t) { var d = new Date(t * 1000); return pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function stamp(t) { var d = new Date(t * 1000); return day(t) + " " + clock(t) + ":" + pad(d.getSeconds()); }
  function getJson(path) {
    return fetch(API + path, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(path.split("?")[0] + ": HTTP " + r.status);
      return r.json();
    });
  }

  // ---- views ---------------------------------------------------------------------------------
  function showView(name) {
    if (!$("view-" + name)) name = "overview";
    S.view = name;
    var views = document.querySelectorAll(".view");
    for (var i = 0; i < views.length; i++) views[i].hidden = views[i].id !== "view-" + name;
    var links = document.querySelectorAll("nav a");
    for (var j = 0; j < links.length; j++) links[j].classList.toggle("active", links[j].getAttribute("data-view") === name);
    document.body.setAttribute("data-view", name);
    drawCharts();
  }

  // ---- charts --------------------------------------------------------------------------------
  function canvasCtx(c) {
    var r = c.getBoundingClientRect();
    if (r.width < 10 || r.height < 10) return null;
    var dpr = window.devicePixelRatio || 1;
    var w = Math.round(r.width * dpr), h = Math.round(r.height * dpr);
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    var ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, r.width, r.height);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx: ctx, w: r.width, h: r.height };
  }
  function emptyNote(g, text) {
    g.ctx.fillStyle = "#8d98a8";
    g.ctx.textAlign = "center";
    g.ctx.fillText(text, g.w / 2, g.h / 2);
  }
  function lineChart(canvas, times, series, opt) {
    var g = canvasCtx(canvas);
    if (!g) return;
    var ctx = g.ctx, L = 46, R = 10, T = 8, B = 22, W = g.w - L - R, H = g.h - T - B;
    var lo = opt.min, hi = opt.max;
    if (lo === undefined || hi === undefined) {
      var a = Infinity, b = -Infinity;
      series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null) { if (v < a) a = v; if (v > b) b = v; } }); });
      if (a === Infinity) { a = 0; b = 1; }
      if (a === b) { a -= 0.5; b += 0.5; }
      var padY = (b - a) * 0.08;
      lo = lo === undefined ? a - padY : lo;
      hi = hi === undefined ? b + padY : hi;
    }
    ctx.strokeStyle = "#283141";
    ctx.fillStyle = "#8d98a8";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (var k = 0; k <= 4; k++) {
      var yv = lo + (hi - lo) * k / 4, yy = T + H - H * k / 4;
      ctx.beginPath(); ctx.moveTo(L, Math.round(yy) + 0.5); ctx.lineTo(L + W, Math.round(yy) + 0.5); ctx.stroke();
      ctx.fillText(opt.fmt(yv), L - 6, yy);
    }
    if (!times.length) { emptyNote(g, "no data yet"); return; }
    var t0 = times[0], t1 = times[times.length - 1], span = t1 - t0;
    function X(i) { return times.length === 1 ? L + W / 2 : L + (times[i] - t0) / (span || 1) * W; }
    function Y(v) { return T + H - (v - lo) / (hi - lo || 1) * H; }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    var ticks = Math.min(5, times.length);
    for (var q = 0; q < ticks; q++) {
      var tt = ticks === 1 ? t0 : t0 + span * q / (ticks - 1);
      var xx = times.length === 1 ? L + W / 2 : L + W * q / Math.max(1, ticks - 1);
      ctx.fillText(span > 86400 ? day(tt) + " " + clock(tt) : clock(tt), Math.min(Math.max(xx, L + 24), L + W - 24), T + H + 6);
    }
    series.slice().reverse().forEach(function (s) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = s.bold ? 2.6 : 1.4;
      ctx.globalAlpha = s.bold || !opt.dim ? 1 : 0.75;
      ctx.beginPath();
      var pen = false, lone = [];
      for (var i = 0; i < s.values.length; i++) {
        var v = s.values[i];
        if (v === null) { if (!opt.spanGaps) pen = false; continue; }
        var px = X(i), py = Y(v);
        var prev = i > 0 ? s.values[i - 1] : null, next = i + 1 < s.values.length ? s.values[i + 1] : null;
        if (!pen && next === null && (prev === null || opt.spanGaps)) lone.push([px, py]);
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
      lone.forEach(function (p) { ctx.beginPath(); ctx.arc(p[0], p[1], 2.5, 0, Math.PI * 2); ctx.fill(); });
      ctx.globalAlpha = 1;
    });
  }
  function barChart(canvas, values, opt) {
    var g = canvasCtx(canvas);
    if (!g) return;
    var ctx = g.ctx, L = 46, R = 10, T = 8, B = 22, W = g.w - L - R, H = g.h - T - B;
    var hi = 0;
    values.forEach(function (v) { if (v.value > hi) hi = v.value; });
    ctx.strokeStyle = "#283141"; ctx.fillStyle = "#8d98a8"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (var k = 0; k <= 2; k++) {
      var yy = T + H - H * k / 2;
      ctx.beginPath(); ctx.moveTo(L, Math.round(yy) + 0.5); ctx.lineTo(L + W, Math.round(yy) + 0.5); ctx.stroke();
      ctx.fillText(opt.fmt(hi * k / 2), L - 6, yy);
    }
    if (!values.length || hi <= 0) { emptyNote(g, "no weights set yet"); return; }
    var bw = W / values.length;
    ctx.fillStyle = "#4f9dff";
    values.forEach(function (v, i) {
      var h = v.value / hi * H;
      ctx.fillRect(L + i * bw + (bw > 3 ? 0.5 : 0), T + H - h, Math.max(1, bw - (bw > 3 ? 1 : 0)), h);
    });
    ctx.fillStyle = "#8d98a8"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    var step = Math.max(1, Math.ceil(28 / bw));
    for (var i = 0; i < values.length; i += step) ctx.fillText(String(values[i].label), L + (i + 0.5) * bw, T + H + 6);
  }
  function legend(node, series) {
    var sig = series.map(function (s) { return s.label + s.color; }).join("|");
    if (node.getAttribute("data-sig") === sig) return;
    node.setAttribute("data-sig", sig);
    node.textContent = "";
    series.forEach(function (s) {
      var item = el("span", s.bold ? "" : "muted");
      var sw = el("i");
      sw.style.background = s.color;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(s.label));
      node.appendChild(item);
    });
  }
  function seriesOf(field) {
    var h = S.history;
    if (!h) return [];
    var src = field === "accuracy" ? h.accuracy.series : h.scores.series;
    return src.map(function (s, i) {
      return { label: "uid " + s.uid + " " + short(s.hotkey), color: PALETTE[i % PALETTE.length], bold: s.uid === S.selectedUid, values: s[field] };
    });
  }
  function drawCharts() {
    var h = S.history;
    if (S.view === "overview") {
      var shares = S.overview && S.overview.lastWeights ? S.overview.lastWeights.shares : [];
      barChart($("chart-weights"), shares.map(function (x) { return { label: x.uid, value: x.share }; }), { fmt: pct });
      var ws = seriesOf("weight");
      lineChart($("chart-overview"), h ? h.scores.times : [], ws, { min: 0, fmt: pct });
      legend($("legend-overview"), ws);
    } else if (S.view === "miners") {
      var sc = seriesOf("score"), wt = seriesOf("weight"), ac = seriesOf("accuracy");
      lineChart($("chart-score"), h ? h.scores.times : [], sc, { min: 0, fmt: function (v) { return v.toFixed(3); }, dim: true });
      lineChart($("chart-weight"), h ? h.scores.times : [], wt, { min: 0, fmt: pct, dim: true });
      lineChart($("chart-accuracy"), h ? h.accuracy.times : [], ac, { min: 0, max: 1, fmt: pct, dim: true, spanGaps: true });
      legend($("legend-miners"), sc);
    }
  }

  // ---- overview ------------------------------------------------------------------------------
  var CARDS = [["block", "Block"], ["neurons", "Neurons"], ["serving", "Serving axons"], ["validators", "Validator permits"],
    ["requests", "Requests"], ["pending", "Pending"], ["scored", "Scored"], ["responses", "Responses"],
    ["deliveries", "Results to deliver"], ["size", "Store size"], ["weights", "Last set_weights"], ["accuracy", "Accuracy sampled"]];
  var cardNodes = {};
  function buildCards() {
    var box = $("cards");
    CARDS.forEach(function (c) {
      var card = el("div", "card");
      card.setAttribute("data-card", c[0]);
      card.appendChild(el("div", "label", c[1]));
      var v = el("div", "value", "\u2014"), s = el("div", "sub", "");
      card.appendChild(v); card.appendChild(s);
      box.appendChild(card);
      cardNodes[c[0]] = { value: v, sub: s };
    });
  }
  function card(key, value, sub) { setText(cardNodes[key].value, value); setText(cardNodes[key].sub, sub || ""); }
  function renderOverview(ov) {
    var st = ov.stats, n = ov.neurons, w = ov.lastWeights;
    card("block", ov.chain.block === null ? "\u2014" : count(ov.chain.block), ov.chain.error ? "chain: " + ov.chain.error : "subnet " + ov.netuid + " \u00b7 " + ov.chain.endpoint);
    card("neurons", n ? count(n.total) : "\u2014");
    card("serving", n ? count(n.serving) : "\u2014");
    card("validators", n ? count(n.validators) : "\u2014");
    card("requests", count(st.requests));
    card("pending", count(st.pending));
    card("scored", count(st.scored));
    card("responses", count(st.responses));
    card("deliveries", count(st.deliveriesPending));
    card("size", bytes(st.storeBytes));
    card("weights", w ? "#" + count(w.block) : "never", w ? ago(w.at) + " \u00b7 " + w.count + " uids" : "");
    card("accuracy", ov.accuracySampledAt ? ago(ov.accuracySampledAt) : "\u2014", Math.round(ov.accuracyWindowSeconds / 3600) + " h window");
    setText($("weights-info"), w
      ? "block " + count(w.block) + " \u00b7 " + stamp(w.at) + " (" + ago(w.at) + ") \u00b7 " + w.count + " uids \u00b7 version key " + w.versionKey
      : "no weights set yet");
    setText($("validator-hotkey"), ov.validatorHotkey ? "validator " + short(ov.validatorHotkey) : "");
  }

  // ---- metagraph table -----------------------------------------------------------------------
  var COLS = [
    { key: "uid", label: "UID", num: true, text: function (n) { return String(n.uid); } },
    { key: "hotkey", label: "Hotkey", text: function (n) { return short(n.hotkey); } },
    { key: "stake", label: "Stake", num: true, text: function (n) { return money(n.stake); } },
    { key: "permit", label: "VPermit", text: function (n) { return n.permit ? "\u2713" : ""; } },
    { key: "trust", label: "Trust", num: true, text: function (n) { return fixed(n.trust, 4); } },
    { key: "consensus", label: "Consensus", num: true, text: function (n) { return fixed(n.consensus, 4); } },
    { key: "incentive", label: "Incentive", num: true, text: function (n) { return fixed(n.incentive, 4); } },
    { key: "dividends", label: "Dividends", num: true, text: function (n) { return fixed(n.dividends, 4); } },
    { key: "emission", label: "Emission", num: true, text: function (n) { return fixed(n.emission, 4); } },
    { key: "axon", label: "Axon", text: function (n) { return n.axon || "\u2014"; } },
    { key: "score", label: "Score (EMA)", num: true, text: function (n) { return fixed(n.score, 4); } },
    { key: "weight", label: "Weight", num: true, text: function (n) { return pct(n.weight); } },
    { key: "accuracy", label: "Accuracy", num: true, text: function (n) { return n.accuracy && n.accuracy.answered ? pct(n.accuracy.correct / n.accuracy.answered) + " (" + n.accuracy.answered + ")" : "\u2014"; } }
  ];
  function sortValue(n, key) {
    if (key === "accuracy") return n.accuracy && n.accuracy.answered ? n.accuracy.correct / n.accuracy.answered : -1;
    if (key === "permit") return n.permit ? 1 : 0;
    var v = n[key];
    return v === null || v === undefined ? -Infinity : v;
  }
  function buildTable() {
    var head = $("mg-head");
    COLS.forEach(function (c) {
      var th = el("th", c.num ? "num" : "", c.label);
      th.setAttribute("data-key", c.key);
      th.addEventListener("click", function () {
        if (S.sortKey === c.key) S.sortDir = -S.sortDir; else { S.sortKey = c.key; S.sortDir = c.num ? -1 : 1; if (c.key === "uid") S.sortDir = 1; }
        orderRows();
      });
      head.appendChild(th);
    });
  }
  function renderMetagraph(mg, flash) {
    var body = $("mg-body"), seen = new Set();
    mg.neurons.forEach(function (n) {
      var r = S.rows.get(n.uid);
      if (!r) {
        var tr = el("tr");
        var cells = COLS.map(function (c) { var td = el("td", c.num ? "num" : ""); if (c.key === "hotkey") td.className = "mono"; tr.appendChild(td); return td; });
        tr.setAttribute("data-uid", String(n.uid));
        tr.addEventListener("click", function () { selectMiner(n.uid); location.hash = "#miners"; });
        r = { tr: tr, cells: cells, texts: [], n: n };
        S.rows.set(n.uid, r);
        body.appendChild(tr);
      }
      r.n = n;
      seen.add(n.uid);
      COLS.forEach(function (c, i) {
        var t = c.text(n);
        if (r.texts[i] !== t) {
          r.cells[i].textContent = t;
          // Web Animations: no class toggling, so no forced layout per changed cell.
          if (flash && r.texts[i] !== undefined && r.cells[i].animate) {
            r.cells[i].animate([{ backgroundColor: "rgba(79,157,255,.4)" }, { backgroundColor: "rgba(79,157,255,0)" }], { duration: 1400, easing: "ease-out" });
          }
          r.texts[i] = t;
        }
      });
      if (r.cells[1].title !== n.hotkey) r.cells[1].title = n.hotkey;
      r.tr.classList.toggle("self", !!n.self);
      r.tr.classList.toggle("picked", n.uid === S.selectedUid);
    });
    S.rows.forEach(function (r, uid) { if (!seen.has(uid)) { r.tr.remove(); S.rows.delete(uid); } });
    orderRows();
    renderMinerSelect(mg);
    renderMinerCard();
    renderTopMiners(mg);
  }
  function renderTopMiners(mg) {
    var top = mg.neurons.filter(function (n) { return n.weight !== null && n.weight > 0; })
      .sort(function (a, b) { return b.weight - a.weight || a.uid - b.uid; }).slice(0, 10);
    var body = $("top-body");
    while (body.children.length > top.length) body.removeChild(body.lastChild);
    top.forEach(function (n, i) {
      var tr = body.children[i];
      if (!tr) {
        tr = el("tr");
        for (var k = 0; k < 8; k++) tr.appendChild(el("td", k === 1 || k === 2 ? (k === 1 ? "mono" : "") : "num"));
        tr.addEventListener("click", function () { selectMiner(Number(this.getAttribute("data-uid"))); location.hash = "#miners"; });
        body.appendChild(tr);
      }
      tr.setAttribute("data-uid", String(n.uid));
      var texts = [n.uid, short(n.hotkey), n.axon || "\u2014", fixed(n.score, 4), pct(n.weight), fixed(n.incentive, 4), fixed(n.emission, 4),
        n.accuracy && n.accuracy.answered ? pct(n.accuracy.correct / n.accuracy.answered) : "\u2014"];
      texts.forEach(function (t, k) { setText(tr.children[k], t); });
      tr.children[1].title = n.hotkey;
    });
  }
  function orderRows() {
    var f = S.filter.trim().toLowerCase(), list = [], shown = 0;
    S.rows.forEach(function (r) {
      var show = !f || String(r.n.uid) === f || r.n.hotkey.toLowerCase().indexOf(f) >= 0 || (r.n.axon || "").indexOf(f) >= 0;
      if (r.tr.hidden === show) r.tr.hidden = !show;
      if (show) shown++;
      list.push(r);
    });
    var key = S.sortKey, dir = S.sortDir;
    list.sort(function (a, b) {
      var x = sortValue(a.n, key), y = sortValue(b.n, key);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.n.uid - b.n.uid;
    });
    var sig = key + dir + ":" + list.map(function (r) { return r.n.uid; }).join(",");
    if (sig !== S.orderSig) {
      var frag = document.createDocumentFragment();
      list.forEach(function (r) { frag.appendChild(r.tr); });
      $("mg-body").appendChild(frag);
      S.orderSig = sig;
    }
    var ths = $("mg-head").children;
    for (var i = 0; i < ths.length; i++) {
      var c = COLS[i];
      ths[i].classList.toggle("sorted", c.key === key);
      setText(ths[i], c.label + (c.key === key ? (dir > 0 ? " \u25b2" : " \u25bc") : ""));
    }
    setText($("mg-count"), shown + " of " + S.rows.size + " neurons");
  }

  // ---- miners --------------------------------------------------------------------------------
  function renderMinerSelect(mg) {
    var sel = $("miner-select");
    var sig = mg.neurons.map(function (n) { return n.uid + ":" + n.hotkey; }).join(",");
    if (sig !== S.uidSig) {
      S.uidSig = sig;
      sel.textContent = "";
      mg.neurons.forEach(function (n) {
        var o = el("option", "", "uid " + n.uid + " \u00b7 " + short(n.hotkey));
        o.value = String(n.uid);
        sel.appendChild(o);
      });
    }
    if (S.selectedUid === null && mg.neurons.length) {
      S.selectedUid = mg.neurons[mg.neurons.length - 1].uid;
      loadHistory().then(drawCharts).catch(offline);
    }
    if (S.selectedUid !== null && sel.value !== String(S.selectedUid)) sel.value = String(S.selectedUid);
  }
  function renderMinerCard() {
    var box = $("miner-card"), r = S.rows.get(S.selectedUid);
    if (!r) { setText(box, "no miner selected"); return; }
    var n = r.n;
    var items = [["UID", n.uid], ["Hotkey", n.hotkey], ["Coldkey", n.coldkey], ["Stake", fixed(n.stake, 4)], ["Validator permit", n.permit ? "yes" : "no"],
      ["Axon", n.axon || "not serving"], ["Trust", fixed(n.trust, 4)], ["Consensus", fixed(n.consensus, 4)], ["Incentive", fixed(n.incentive, 4)],
      ["Dividends", fixed(n.dividends, 4)], ["Emission", fixed(n.emission, 6)], ["Last update", "block " + n.lastUpdate],
      ["Score (EMA)", fixed(n.score, 5)], ["Weight share", pct(n.weight)],
      ["Accuracy (sampled)", n.accuracy && n.accuracy.answered ? pct(n.accuracy.correct / n.accuracy.answered) + " of " + n.accuracy.answered : "\u2014"]];
    if (box.children.length !== items.length) {
      box.textContent = "";
      items.forEach(function (it) { var d = el("div"); d.appendChild(el("span", "", it[0])); d.appendChild(el("b")); box.appendChild(d); });
    }
    items.forEach(function (it, i) {
      var b = box.children[i].lastChild;
      setText(b, it[1]);
      if (it[0] === "Hotkey" || it[0] === "Coldkey") { b.className = "mono"; b.title = String(it[1]); }
    });
  }
  function selectMiner(uid) {
    if (S.selectedUid === uid) return;
    S.selectedUid = uid;
    if ($("miner-select").value !== String(uid)) $("miner-select").value = String(uid);
    S.rows.forEach(function (r) { r.tr.classList.toggle("picked", r.n.uid === uid); });
    renderMinerCard();
    loadHistory().then(drawCharts).catch(offline);
  }

  // ---- requests ------------------------------------------------------------------------------
  function consensusBars(list) {
    var box = el("div", "cons"), hi = 0;
    list.forEach(function (c) { if (c.score > hi) hi = c.score; });
    list.forEach(function (c) {
      var b = el("span");
      b.style.height = Math.max(2, Math.round((hi > 0 ? c.score / hi : 0) * 18)) + "px";
      b.title = c.cid + ": " + c.score.toFixed(4);
      box.appendChild(b);
    });
    return box;
  }
  function renderRequests(page) {
    var body = $("req-body");
    var frag = document.createDocumentFragment();
    page.rows.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-id", r.requestId);
      if (r.requestId === S.detailId) tr.className = "picked";
      tr.appendChild(el("td", "", stamp(r.createdAt)));
      tr.appendChild(el("td", "mono", r.requestId.slice(0, 8)));
      tr.appendChild(el("td", "", r.kind));
      tr.appendChild(el("td", "clip", r.prompt)).title = r.prompt;
      var st = el("td");
      st.appendChild(el("span", "badge " + r.status, r.status));
      tr.appendChild(st);
      tr.appendChild(el("td", "num", r.nCompletions));
      tr.appendChild(el("td", "num", r.responseCount));
      var best = el("td", "clip", r.best ? r.best.text : "\u2014");
      if (r.best) best.title = r.best.cid + " (" + r.best.score.toFixed(4) + "): " + r.best.text;
      tr.appendChild(best);
      tr.appendChild(el("td", "num", r.best ? r.best.score.toFixed(3) : "\u2014"));
      var cons = el("td");
      cons.appendChild(consensusBars(r.consensus));
      tr.appendChild(cons);
      tr.addEventListener("click", function () {
        S.detailId = r.requestId;
        markPicked();
        loadDetail().then(function () { $("req-detail").scrollIntoView({ block: "nearest" }); }).catch(offline);
      });
      frag.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(frag);
    if (!page.rows.length) { var e = el("tr"); var td = el("td", "empty", "no requests yet"); td.colSpan = 10; e.appendChild(td); body.appendChild(e); }
    var from = page.total ? page.offset + 1 : 0, to = page.offset + page.rows.length;
    setText($("req-range"), from + "\u2013" + to + " of " + count(page.total) + (S.overview && S.overview.stats.requests > page.total ? " most recent (" + count(S.overview.stats.requests) + " stored)" : ""));
    $("req-prev").disabled = page.offset === 0;
    $("req-next").disabled = to >= page.total;
  }
  function markPicked() {
    var trs = $("req-body").children;
    for (var i = 0; i < trs.length; i++) trs[i].classList.toggle("picked", trs[i].getAttribute("data-id") === S.detailId);
  }
  function renderDetail(d) {
    var box = $("req-detail");
    box.hidden = false;
    box.textContent = "";
    var h = el("h2", "", "Request ");
    h.appendChild(el("span", "mono", d.requestId));
    box.appendChild(h);
    box.appendChild(el("div", "muted", d.kind + " \u00b7 created " + stamp(d.createdAt) + " \u00b7 deadline " + stamp(d.deadlineAt) + " \u00b7 " + (d.scoredAt ? "scored " + stamp(d.scoredAt) : "pending")));
    box.appendChild(el("div", "prompt", d.prompt));
    var grid = el("div", "grid2");
    var left = el("div"), right = el("div");
    left.appendChild(el("h2", "", "Completions by consensus"));
    var hi = 0;
    d.completions.forEach(function (c) { if (c.consensus !== null && c.consensus > hi) hi = c.consensus; });
    d.completions.slice().sort(function (a, b) { return (b.consensus === null ? -1 : b.consensus) - (a.consensus === null ? -1 : a.consensus); }).forEach(function (c) {
      var item = el("div", "completion");
      item.appendChild(el("div", "muted mono", c.cid + " \u00b7 consensus " + fixed(c.consensus, 4)));
      var m = el("div", "meter"), bar = el("span");
      bar.style.width = (hi > 0 && c.consensus !== null ? Math.max(1, c.consensus / hi * 100) : 0) + "%";
      m.appendChild(bar);
      item.appendChild(m);
      item.appendChild(el("div", "text", c.text));
      left.appendChild(item);
    });
    right.appendChild(el("h2", "", "Miner scores (" + d.minerScores.length + ")"));
    var t = el("table"), tb = el("tbody");
    d.minerScores.slice(0, 64).forEach(function (m) {
      var tr = el("tr");
      tr.appendChild(el("td", "num", m.uid === null ? "\u2014" : m.uid));
      tr.appendChild(el("td", "mono", short(m.hotkey))).title = m.hotkey;
      tr.appendChild(el("td", "num", m.score.toFixed(4)));
      tb.appendChild(tr);
    });
    if (!d.minerScores.length) { var e = el("tr"); e.appendChild(el("td", "empty", "not scored yet")); tb.appendChild(e); }
    t.appendChild(tb);
    right.appendChild(t);
    grid.appendChild(left); grid.appendChild(right);
    box.appendChild(grid);
  }

  // ---- loading -------------------------------------------------------------------------------
  function loadMetagraph(flash) { return getJson("metagraph").then(function (mg) { S.metagraph = mg; var t = performance.now(); renderMetagraph(mg, flash); return performance.now() - t; }); }
  function loadHistory() {
    var q = "history?top=6&points=120" + (S.selectedUid !== null ? "&uids=" + S.selectedUid : "");
    return getJson(q).then(function (h) { S.history = h; return 0; });
  }
  function loadRequests() {
    return getJson("requests?offset=" + S.reqOffset + "&limit=" + S.reqLimit).then(function (p) { S.requests = p; var t = performance.now(); renderRequests(p); return performance.now() - t; });
  }
  function loadDetail() {
    if (!S.detailId) return Promise.resolve(0);
    return getJson("requests/" + encodeURIComponent(S.detailId)).then(function (d) { renderDetail(d); return 0; });
  }
  function versionsOf(ov) {
    return {
      block: ov.chain.block,
      weights: ov.lastWeights ? ov.lastWeights.block + ":" + ov.lastWeights.at : "",
      requests: ov.stats.requests, scored: ov.stats.scored, pending: ov.stats.pending, responses: ov.stats.responses,
      accuracy: ov.accuracySampledAt
    };
  }
  function offline(err) {
    S.failures++;
    $("live-dot").className = "dot down";
    setText($("status-text"), "offline \u2014 retrying (" + (err && err.message ? err.message : err) + ")");
  }
  function tick() {
    if (S.busy) return Promise.resolve();
    S.busy = true;
    var t0 = performance.now();
    return getJson("overview").then(function (ov) {
      var first = S.versions === null, v = versionsOf(ov), p = S.versions || {};
      S.overview = ov;
      S.pollMs = Math.max(500, ov.pollSeconds * 1000);
      // Pick the miner to chart before the first history request, so its series comes with it.
      if (S.selectedUid === null && ov.lastWeights && ov.lastWeights.shares.length) S.selectedUid = ov.lastWeights.shares[0].uid;
      var r0 = performance.now();
      renderOverview(ov);
      var renderMs = performance.now() - r0;
      var jobs = [];
      var graphChanged = first || v.block !== p.block || v.weights !== p.weights || v.accuracy !== p.accuracy || v.scored !== p.scored;
      if (graphChanged) jobs.push(loadMetagraph(!first));
      if (first || v.weights !== p.weights || v.accuracy !== p.accuracy) jobs.push(loadHistory());
      var reqChanged = first || v.requests !== p.requests || v.scored !== p.scored || v.pending !== p.pending || v.responses !== p.responses;
      if (reqChanged) jobs.push(loadRequests());
      if (!first && v.scored !== p.scored && S.detailId) jobs.push(loadDetail());
      S.versions = v;
      return Promise.all(jobs).then(function (times) {
        var r1 = performance.now();
        drawCharts();
        times.forEach(function (x) { renderMs += x; });
        renderMs += performance.now() - r1;
        stats.ticks++;
        if (first) {
          stats.firstRenderMs = performance.now();
          document.body.setAttribute("data-ready", "1");
        } else if (jobs.length) {
          stats.updates++;
          stats.renders.push({ totalMs: performance.now() - t0, renderMs: renderMs, jobs: jobs.length });
          if (stats.renders.length > 200) stats.renders.shift();
        }
        document.body.setAttribute("data-updates", String(stats.updates));
        $("live-dot").className = "dot live";
        setText($("status-text"), "live \u00b7 updated " + clock(Date.now() / 1000) + ":" + pad(new Date().getSeconds()));
      });
    }).catch(offline).then(function () { S.busy = false; });
  }
  function loop() {
    var run = document.hidden ? Promise.resolve() : tick();
    run.then(function () { setTimeout(loop, S.pollMs); });
  }

  // ---- wiring --------------------------------------------------------------------------------
  buildCards();
  buildTable();
  $("mg-filter").addEventListener("input", function (e) { S.filter = e.target.value; orderRows(); });
  $("miner-select").addEventListener("change", function (e) { selectMiner(Number(e.target.value)); });
  $("req-prev").addEventListener("click", function () { S.reqOffset = Math.max(0, S.reqOffset - S.reqLimit); loadRequests().catch(offline); });
  $("req-next").addEventListener("click", function () { S.reqOffset += S.reqLimit; loadRequests().catch(offline); });
  window.addEventListener("hashchange", function () { showView(location.hash.slice(1) || "overview"); });
  var resizeTimer = null;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 100); });
  window.__dojoDashboardTick = tick;
  showView(location.hash.slice(1) || "overview");
  loop();
})();
`

const BODY = `
<header>
  <div class="brand">Dojo<small>validator dashboard</small></div>
  <nav>
    <a href="#overview" data-view="overview">Overview</a>
    <a href="#metagraph" data-view="metagraph">Metagraph</a>
    <a href="#miners" data-view="miners">Miners</a>
    <a href="#requests" data-view="requests">Requests</a>
  </nav>
  <div class="status"><span class="muted mono" id="validator-hotkey"></span><span id="live-dot" class="dot"></span><span id="status-text">connecting…</span></div>
</header>
<main>
  <section class="view" id="view-overview">
    <div class="cards" id="cards"></div>
    <div class="grid2">
      <div class="panel"><h2>Weights set on chain <span class="muted">— share per uid, largest first</span></h2><div class="sub2" id="weights-info"></div><canvas class="bars" id="chart-weights"></canvas></div>
      <div class="panel"><h2>Top miners <span class="muted">— weight share over time</span></h2><div class="sub2">from the score snapshots taken at each set_weights</div><canvas class="chart" id="chart-overview"></canvas><div class="legend" id="legend-overview"></div></div>
    </div>
    <div class="panel"><h2>Top miners by weight</h2><table><thead><tr><th class="num">UID</th><th>Hotkey</th><th>Axon</th><th class="num">Score (EMA)</th><th class="num">Weight</th><th class="num">Incentive</th><th class="num">Emission</th><th class="num">Accuracy</th></tr></thead><tbody id="top-body"></tbody></table></div>
  </section>
  <section class="view" id="view-metagraph" hidden>
    <div class="toolbar"><input id="mg-filter" type="search" placeholder="filter: uid, hotkey or axon" size="30"><span class="muted" id="mg-count"></span></div>
    <div class="tablewrap"><table id="mg-table"><thead><tr id="mg-head"></tr></thead><tbody id="mg-body"></tbody></table></div>
  </section>
  <section class="view" id="view-miners" hidden>
    <div class="toolbar"><label for="miner-select">Miner</label><select id="miner-select"></select><span class="muted">bold: selected · others: top miners by weight</span></div>
    <div class="panel"><div class="kv" id="miner-card"></div></div>
    <div class="grid3">
      <div class="panel"><h2>Consensus score <span class="muted">(EMA)</span></h2><canvas class="chart" id="chart-score"></canvas></div>
      <div class="panel"><h2>Weight share</h2><canvas class="chart" id="chart-weight"></canvas></div>
      <div class="panel"><h2>Accuracy <span class="muted">(hidden human-preference pairs)</span></h2><canvas class="chart" id="chart-accuracy"></canvas></div>
    </div>
    <div class="legend" id="legend-miners"></div>
  </section>
  <section class="view" id="view-requests" hidden>
    <div class="toolbar"><button id="req-prev" type="button">‹ newer</button><button id="req-next" type="button">older ›</button><span class="muted" id="req-range"></span></div>
    <div class="tablewrap"><table id="req-table"><thead><tr><th>Created</th><th>Request</th><th>Kind</th><th>Prompt</th><th>Status</th><th class="num" title="completions">Compl.</th><th class="num" title="miners that answered">Answers</th><th>Best completion</th><th class="num">Best</th><th>Consensus</th></tr></thead><tbody id="req-body"></tbody></table></div>
    <div class="panel detail" id="req-detail" hidden></div>
  </section>
</main>
`

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`

/** The page's HTML. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Dojo validator</title>
<style>${CSS}</style>
</head>
<body>${BODY}<script>${JS}</script>
</body>
</html>
`

/** The page's Content-Security-Policy: its own inline blocks by hash, data from this origin, nothing else. */
export const dashboardCsp = [
  "default-src 'none'",
  `script-src ${hash(JS)}`,
  `style-src ${hash(CSS)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")
