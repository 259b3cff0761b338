// The till page: follows /api/v1/till/events (Server-Sent Events) and shows the state.
// The portrait is fetched only while a result with a portrait is on screen (no-store) and
// dropped from the page as soon as the state changes.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const show = (id) => { for (const p of ["waiting", "busy", "result"]) $(p).hidden = p !== id; };
  let portraitUrl = null;
  let portraitFor = null; // the session whose portrait is being fetched or shown
  let demoShown = false;

  function dropPortrait() {
    portraitFor = null;
    const img = $("portrait");
    img.hidden = true;
    img.removeAttribute("src");
    if (portraitUrl) { URL.revokeObjectURL(portraitUrl); portraitUrl = null; }
  }

  function age(seconds) {
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    if (seconds < 172800) return Math.floor(seconds / 3600) + " h";
    return Math.floor(seconds / 86400) + " days";
  }

  function render(s) {
    if (s.trust) {
      const t = $("trust");
      t.textContent = "trust data: " + s.trust.anchors + " IACA, updated " + age(s.trust.age_seconds) + " ago" +
        (s.trust.crl_next_update ? ", CRLs next update " + s.trust.crl_next_update : "");
      t.classList.toggle("stale", s.trust.age_seconds > 30 * 86400);
    }
    const n = $("nfc");
    n.hidden = !s.nfc;
    if (s.nfc) {
      n.textContent = s.nfc.available ? "NFC: " + s.nfc.reader : "NFC 利用不可 unavailable: " + (s.nfc.error || "");
      n.classList.toggle("stale", !s.nfc.available);
    }
    if (s.demo && !demoShown) { demoShown = true; loadDemo(); }
    $("next").disabled = s.state !== "result";
    if (s.state === "result") {
      show("result");
      const v = $("verdict");
      v.textContent = s.verdict;
      v.className = "verdict " + (s.verdict === "OK" ? "ok" : "ng");
      $("reason-ja").textContent = s.verdict === "OK" ? "20歳以上であることを確認しました。" : (s.text_ja || "");
      $("reason-en").textContent = s.verdict === "OK" ? "Age verified." : (s.text_en || "");
      // One fetch per result, however many state events arrive while it is in flight; a
      // portrait that arrives after the result was cleared is never shown nor given a URL.
      if (s.portrait && portraitFor !== s.session) {
        const session = s.session;
        portraitFor = session;
        fetch("/api/v1/till/portrait?session=" + session, { cache: "no-store" })
          .then((r) => (r.ok ? r.blob() : null))
          .then((b) => {
            if (!b || portraitFor !== session) return;
            if (portraitUrl) URL.revokeObjectURL(portraitUrl);
            portraitUrl = URL.createObjectURL(b);
            const i = $("portrait");
            i.src = portraitUrl;
            i.hidden = false;
          });
      }
      return;
    }
    dropPortrait();
    if (s.state === "connecting" || s.state === "verifying") {
      show("busy");
      $("busy-text").textContent = s.state === "connecting" ? "接続中… Connecting…" : "確認中… Verifying…";
      const q = $("qr-busy");
      if (s.engaged) { q.src = "/api/v1/till/qr.svg?session=" + s.session; q.hidden = false; } else { q.hidden = true; }
      return;
    }
    show("waiting");
    const qr = $("qr");
    if (s.engaged) { qr.src = "/api/v1/till/qr.svg?session=" + s.session; qr.hidden = false; } else { qr.hidden = true; }
  }

  function post(url) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  }

  function loadDemo() {
    fetch("/api/v1/till/demo").then((r) => r.json()).then((d) => {
      const box = $("demo");
      box.hidden = false;
      for (const c of d.customers) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = c.label;
        b.dataset.test = "demo-" + c.id; // a stable hook for tests/browser/till.mjs
        b.addEventListener("click", () => post("/api/v1/till/demo/" + encodeURIComponent(c.id)));
        box.appendChild(b);
      }
    });
  }

  $("next").addEventListener("click", () => post("/api/v1/till/next"));
  const es = new EventSource("/api/v1/till/events");
  es.addEventListener("state", (e) => render(JSON.parse(e.data)));
})();
