// The preview's pages: live reload over Server-Sent Events, and the issue page's toolbar.
"use strict";

(function () {
  const live = document.getElementById("live");
  const liveText = document.getElementById("live-text");

  function setLive(kind, text) {
    if (!live) return;
    live.classList.remove("off", "busy");
    if (kind) live.classList.add(kind);
    liveText.textContent = text;
  }

  // Calls onBuild(version) after every rebuild; the browser reconnects by itself.
  function listen(target, onBuild) {
    const source = new EventSource("/events?target=" + encodeURIComponent(target));
    source.addEventListener("build", (event) => {
      setLive(null, "Live");
      onBuild(JSON.parse(event.data).version);
    });
    source.addEventListener("dead", (event) => {
      // The preview no longer sees saved files: say so instead of "Live".
      source.close();
      setLive("off", "Not live: restart the preview");
      live.title = JSON.parse(event.data).dead;
    });
    source.onerror = () => setLive("off", "Reconnecting…");
    window.addEventListener("pagehide", () => source.close());
  }

  function reportReloaded(version) {
    fetch("/api/reloaded", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ version: version }),
    }).catch(() => {});
  }

  if (document.body.dataset.page === "index") {
    const shown = Number(document.body.dataset.version);
    listen("index", (version) => {
      if (version !== shown) location.reload();
    });
    return;
  }

  if (document.body.dataset.page !== "email") return;

  let state = JSON.parse(document.getElementById("state").textContent);
  const frame = document.getElementById("email-frame");
  const device = document.getElementById("device");
  const stage = document.getElementById("stage");
  const overlay = document.getElementById("overlay");
  const prefs = loadPrefs();
  let frameKey = "";
  let overlayHidden = false;
  let pendingReport = null;

  function loadPrefs() {
    const fallback = { tab: "email", width: "desktop", scheme: "light", simulate: "" };
    try {
      return Object.assign(fallback, JSON.parse(localStorage.getItem("nl-preview") || "{}"));
    } catch (e) {
      return fallback;
    }
  }

  function savePrefs() {
    try { localStorage.setItem("nl-preview", JSON.stringify(prefs)); } catch (e) { /* private mode */ }
  }

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function kb(bytes) {
    return (bytes / 1024).toFixed(1) + " KB";
  }

  // The email frame reloads only when the HTML or the colour scheme changed, keeping its scroll.
  function loadFrame() {
    const key = state.html_version + ":" + prefs.scheme + ":" + prefs.simulate;
    if (!state.has_email || key === frameKey) return false;
    let scroll = 0;
    try { scroll = frame.contentWindow.scrollY; } catch (e) { scroll = 0; }
    frameKey = key;
    frame.onload = () => {
      try { frame.contentWindow.scrollTo(0, scroll); } catch (e) { /* not loaded */ }
      frame.dataset.version = String(state.html_version);
      frame.dataset.scheme = prefs.scheme;
      frame.dataset.simulate = prefs.simulate;
      if (pendingReport !== null) { reportReloaded(pendingReport); pendingReport = null; }
    };
    const sim = prefs.simulate ? "&simulate=" + encodeURIComponent(prefs.simulate) : "";
    frame.src = state.email_url + "?scheme=" + prefs.scheme + sim + "&v=" + state.html_version;
    return true;
  }

  function applyPrefs() {
    document.querySelectorAll("[data-tab]").forEach((b) => b.classList.toggle("on", b.dataset.tab === prefs.tab));
    document.querySelectorAll("[data-width]").forEach((b) => b.classList.toggle("on", b.dataset.width === prefs.width));
    document.querySelectorAll("[data-scheme]").forEach((b) => b.classList.toggle("on", b.dataset.scheme === prefs.scheme));
    document.querySelectorAll("[data-panel]").forEach((p) => p.classList.toggle("on", p.dataset.panel === prefs.tab));
    document.querySelectorAll("[data-simulate]").forEach((b) => b.classList.toggle("on", b.dataset.simulate === prefs.simulate));
    const simNote = document.getElementById("simulate-note");
    if (simNote) simNote.hidden = !prefs.simulate;
    device.className = "device " + prefs.width + " " + prefs.scheme;
    stage.classList.toggle("dark", prefs.scheme === "dark");
    frame.style.colorScheme = prefs.scheme;
    loadFrame();
  }

  function renderFinding(finding) {
    const item = el("li", "finding " + finding.severity);
    const meta = el("div", "meta");
    meta.appendChild(el("span", "sev", finding.severity));
    if (finding.rule) meta.appendChild(el("span", "rule", finding.rule));
    item.appendChild(meta);
    item.appendChild(el("div", "message", finding.text));
    if (finding.location) item.appendChild(el("code", "where", finding.location));
    return item;
  }

  function render() {
    document.title = (state.subject || state.name) + " · Preview";
    text("sender", state.sender);
    text("inbox-date", state.date_label);
    text("subject", state.subject);
    text("preheader", state.preheader);
    text("avatar", (state.sender || "?").trim().charAt(0).toUpperCase());
    text("text", state.text);
    text("source", state.source);
    text("mjml", state.mjml);
    document.getElementById("no-email").hidden = state.has_email;
    frame.hidden = !state.has_email;

    const meter = document.getElementById("meter");
    meter.className = "meter " + state.size_class;
    const share = Math.min(100, (100 * state.html_bytes) / state.clip_bytes);
    document.getElementById("meter-fill").style.width = share.toFixed(1) + "%";
    const clip = Math.round(state.clip_bytes / 1024);
    let label = kb(state.html_bytes) + " of Gmail’s " + clip + " KB limit";
    if (state.size_class === "near") label += ": close to the limit";
    if (state.size_class === "over") label += ": Gmail will cut it off";
    text("meter-text", state.has_email ? label : "Size: no email yet");

    const list = document.getElementById("findings");
    list.replaceChildren();
    const all = state.errors.concat(state.findings);
    all.forEach((f) => list.appendChild(renderFinding(f)));
    const summary = document.getElementById("findings-summary");
    summary.className = all.length ? "hint" : "hint all-good";
    summary.textContent = all.length
      ? all.length + " thing" + (all.length === 1 ? "" : "s") + " to look at."
      : "✓ No problems found.";

    // caniemail's view of the features this email uses (offline data shipped with the tool).
    const compat = document.getElementById("compat");
    compat.replaceChildren();
    const report = state.compatibility;
    const features = report ? report.features : [];
    features.forEach((f) => {
      const item = el("li");
      item.appendChild(el("strong", null, f.title));
      const clients = el("ul");
      f.clients.forEach((c) => {
        const notes = c.notes.length ? ": " + c.notes.join(" ") : "";
        clients.appendChild(el("li", null, c.client + " (" + c.support + ")" + notes));
      });
      item.appendChild(clients);
      compat.appendChild(item);
    });
    text("compat-summary", report
      ? features.length + " feature" + (features.length === 1 ? "" : "s") + " of this email work only partly in some inboxes. That is normal: the templates fall back where an inbox ignores them; look here after changing a template. Data: caniemail.com (" + report.date + "), " + report.licence + "."
      : "");

    const errors = document.getElementById("overlay-errors");
    errors.replaceChildren();
    state.errors.forEach((e) => {
      const item = el("li");
      if (e.location) { item.appendChild(el("code", null, e.location)); item.append(" "); }
      item.append(e.text);
      errors.appendChild(item);
    });
    text("overlay-lead", state.has_email
      ? "Behind this message is the last version that worked. Fix the problem and save the file: the email comes back by itself."
      : "Fix the problem and save the file: the email appears by itself.");
    document.getElementById("overlay-hide").hidden = !state.has_email;
    if (!state.errors.length) overlayHidden = false;
    overlay.hidden = !state.errors.length || overlayHidden;
  }

  async function refresh(version) {
    if (version === state.version) return;
    setLive("busy", "Updating…");
    try {
      const response = await fetch(state.state_url, { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch (e) {
      setLive("off", "Reconnecting…");
      return;
    }
    pendingReport = state.version;
    render();
    if (!loadFrame()) { reportReloaded(pendingReport); pendingReport = null; }
    setLive(null, "Live");
  }

  document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => { prefs.tab = b.dataset.tab; savePrefs(); applyPrefs(); }));
  document.querySelectorAll("[data-width]").forEach((b) => b.addEventListener("click", () => { prefs.width = b.dataset.width; savePrefs(); applyPrefs(); }));
  document.querySelectorAll("[data-scheme]").forEach((b) => b.addEventListener("click", () => { prefs.scheme = b.dataset.scheme; savePrefs(); applyPrefs(); }));
  document.querySelectorAll("[data-simulate]").forEach((b) => b.addEventListener("click", () => { prefs.simulate = b.dataset.simulate; savePrefs(); applyPrefs(); }));
  document.getElementById("overlay-hide").addEventListener("click", () => { overlayHidden = true; overlay.hidden = true; });

  render();
  applyPrefs();
  listen(state.key, refresh);
})();
