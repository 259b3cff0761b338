// Drives the till page of `kakunin till serve --demo` in Debian's headless Chromium, the way a
// clerk does on the till's touchscreen (taps only, no keyboard), and checks what the page shows
// for each simulated customer:
//   adult     -> a large OK with the portrait visible and loaded (served `no-store`);
//   nineteen  -> NG under_age, expired -> NG expired, tampered -> NG tampered, each with the
//                reason's plain-words text in Japanese and English;
//   stalling  -> the busy screen, then NG timeout; afterwards the till serves a customer again;
// and after every result, "next customer" puts the till back to waiting with the portrait gone
// from the page (no image holds it, its blob URL is revoked) and from the server (404).
//
// Usage: node tests/browser/till.mjs <till URL> <screenshot dir>
// Prints a JSON summary on stdout; exits 0 only if every check passed (1: a check failed,
// 2: the run itself broke, e.g. no browser).
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, shotDir] = process.argv.slice(2);
if (!url || !shotDir) {
  console.error("usage: node till.mjs <till URL> <screenshot dir>");
  process.exit(2);
}
const base = url.replace(/\/+$/, "");
mkdirSync(shotDir, { recursive: true });

// Bounded waits: every wait below has one of these.
const STEP_MS = 10_000; // a verification, a state change
const STALL_MS = 15_000; // the stalling phone: NG after the demo's 3 s deadline
const RUN_MS = 150_000; // the whole run

// What the clerk must read (kakunin_verifier::NgReason::text_ja/text_en, and the page's OK text).
const TEXT = {
  ok: { ja: "20歳以上であることを確認しました。", en: "Age verified." },
  under_age: { ja: "年齢制限に満たないため、販売できません。", en: "Under the age limit. Do not sell." },
  expired: {
    ja: "有効期限が切れています。本人確認書類で確認してください。",
    en: "The credential has expired. Check a physical ID.",
  },
  tampered: { ja: "改ざんが検出されました。販売できません。", en: "The credential has been altered. Do not sell." },
  timeout: {
    ja: "端末から時間内に応答がありませんでした。もう一度お試しください。",
    en: "The phone did not answer in time. Try again.",
  },
};

const CUSTOMERS = [
  { id: "adult", verdict: "OK", reason: null },
  { id: "nineteen", verdict: "NG", reason: "under_age" },
  { id: "expired", verdict: "NG", reason: "expired" },
  { id: "tampered", verdict: "NG", reason: "tampered" },
  { id: "stalling", verdict: "NG", reason: "timeout", wait: STALL_MS, busy: true },
  // After the stalled phone the till must be ready for the next customer.
  { id: "adult", verdict: "OK", reason: null, label: "adult-after-stall" },
];

const checks = [];
const screenshots = [];
function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
  return Boolean(ok);
}

let browser = null;
let profile = null;
const watchdog = setTimeout(() => finish(2, `the run took longer than ${RUN_MS} ms`), RUN_MS);

async function finish(code, error) {
  clearTimeout(watchdog);
  try {
    if (browser) await browser.close();
  } catch {
    /* closing a broken browser */
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  const rc = code !== 0 ? code : failed.length > 0 ? 1 : 0;
  const summary = { url: base, ok: rc === 0, passed: checks.length - failed.length, failed, checks, screenshots };
  if (error) summary.error = String(error);
  process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  process.exit(rc);
}

async function shot(page, name) {
  const path = join(shotDir, `${String(screenshots.length + 1).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: STEP_MS });
  screenshots.push(path);
}

// A GET from outside the page (as any other client on the till's loopback), and what came back.
async function httpGet(path) {
  const r = await fetch(base + path, { signal: AbortSignal.timeout(STEP_MS) });
  const body = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, cacheControl: r.headers.get("cache-control"), type: r.headers.get("content-type"), bytes: body.length };
}

// Runs in the page: does an <img> load from this URL? ("loaded", "error" or "timeout").
async function probeImage(page, src) {
  return page.evaluate(
    (u) =>
      new Promise((done) => {
        const i = new Image();
        const t = setTimeout(() => done("timeout"), 3000);
        i.onload = () => { clearTimeout(t); done(i.naturalWidth > 0 ? "loaded" : "error"); };
        i.onerror = () => { clearTimeout(t); done("error"); };
        i.src = u;
      }),
    src,
  );
}

// The fonts Chromium used to draw a node's text (DevTools protocol, CSS.getPlatformFontsForNode).
let cdp = null;
async function fontsOf(page, selector) {
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
  }
  const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
  const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
  const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
  return fonts;
}

async function waitReady(page, name) {
  try {
    await page.locator("#waiting").waitFor({ state: "visible", timeout: STEP_MS });
    await page.waitForFunction(() => document.getElementById("next").disabled, null, { timeout: STEP_MS });
    return check(`${name}: till waiting, next disabled`, true);
  } catch (e) {
    return check(`${name}: till waiting, next disabled`, false, e.message);
  }
}

async function runCustomer(page, c, portraitResponses) {
  const name = c.label || c.id;
  const blobsBefore = await page.evaluate(() => window.__kakuninBlobs.created.slice());
  const button = page.locator(`[data-test="demo-${c.id}"]`);
  await button.waitFor({ state: "visible", timeout: STEP_MS });
  const box = await button.boundingBox();
  check(`${name}: button is a touch target (>= 48 px high)`, box && box.height >= 48, box);
  await button.tap({ timeout: STEP_MS });

  if (c.busy) {
    try {
      await page.locator("#busy").waitFor({ state: "visible", timeout: STEP_MS });
      check(`${name}: busy screen while the phone does not answer`, true);
      await shot(page, `${name}-busy`);
    } catch (e) {
      check(`${name}: busy screen while the phone does not answer`, false, e.message);
    }
  }

  try {
    await page.locator("#result").waitFor({ state: "visible", timeout: c.wait || STEP_MS });
  } catch (e) {
    check(`${name}: a result is shown`, false, e.message);
    await shot(page, `${name}-no-result`);
    return;
  }
  check(`${name}: a result is shown`, true);

  const state = await (await fetch(base + "/api/v1/till/state", { signal: AbortSignal.timeout(STEP_MS) })).json();
  const shown = await page.evaluate(() => {
    const v = document.getElementById("verdict");
    const r = v.getBoundingClientRect();
    return {
      verdict: v.textContent.trim(),
      cls: v.className,
      bg: getComputedStyle(v).backgroundColor,
      fontPx: parseFloat(getComputedStyle(v).fontSize),
      height: r.height,
      ja: document.getElementById("reason-ja").textContent.trim(),
      en: document.getElementById("reason-en").textContent.trim(),
    };
  });
  check(`${name}: verdict ${c.verdict}`, shown.verdict === c.verdict && state.verdict === c.verdict, { page: shown.verdict, state: state.verdict });
  check(`${name}: reason ${c.reason}`, state.reason === c.reason, { state: state.reason });
  // The Japanese reason is drawn with a font that has its glyphs (not tofu boxes).
  const fonts = await fontsOf(page, "#reason-ja");
  check(`${name}: Japanese text drawn with a CJK font`, fonts.some((f) => /CJK|JP|Gothic|Mincho/i.test(f.familyName) && f.glyphCount > 0), fonts);
  const colour = c.verdict === "OK" ? "rgb(27, 143, 58)" : "rgb(198, 40, 40)";
  check(`${name}: large ${c.verdict === "OK" ? "green" : "red"} verdict`, shown.bg === colour && shown.fontPx >= 96 && shown.height >= 120, shown);
  const text = TEXT[c.reason || "ok"];
  check(`${name}: plain-words text (ja)`, shown.ja === text.ja, shown.ja);
  check(`${name}: plain-words text (en)`, shown.en === text.en, shown.en);
  check(`${name}: next customer enabled`, await page.locator("#next").isEnabled());

  let blobSrc = null;
  if (c.verdict === "OK") {
    try {
      await page.waitForFunction(
        () => {
          const i = document.getElementById("portrait");
          return !i.hidden && i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0;
        },
        null,
        { timeout: STEP_MS },
      );
      const img = await page.evaluate(() => {
        const i = document.getElementById("portrait");
        const r = i.getBoundingClientRect();
        return { src: i.getAttribute("src"), w: i.naturalWidth, h: i.naturalHeight, shownH: r.height, bottom: r.bottom, vh: innerHeight };
      });
      blobSrc = img.src;
      check(`${name}: portrait visible and loaded`, img.w > 0 && img.shownH > 0, img);
      check(`${name}: portrait large enough to compare with the face (>= 120 px high)`, img.shownH >= 120, img);
      check(`${name}: portrait on screen without scrolling`, img.bottom <= img.vh, img);
    } catch (e) {
      check(`${name}: portrait visible and loaded`, false, e.message);
    }
    const seen = portraitResponses.filter((r) => r.session === state.session);
    check(
      `${name}: the page's portrait response is Cache-Control: no-store`,
      seen.length > 0 && seen.every((r) => r.status === 200 && /(^|,)\s*no-store\s*(,|$)/.test(r.cacheControl || "")),
      seen,
    );
    // One copy: one fetch and one object URL per result, whatever the number of state events.
    await page.waitForTimeout(500);
    const urls = await page.evaluate(() => window.__kakuninBlobs.created.slice());
    const fresh = urls.filter((u) => !blobsBefore.includes(u));
    check(`${name}: the page fetched the portrait once, one object URL`, portraitResponses.filter((r) => r.session === state.session).length === 1 && fresh.length === 1, { fetches: seen.length, urls: fresh });
    // The probe below must see the portrait while it is on screen, or its "gone" means nothing.
    check(`${name}: the portrait's object URL loads while OK is on screen`, blobSrc && (await probeImage(page, blobSrc)) === "loaded");
    const direct = await httpGet(`/api/v1/till/portrait?session=${state.session}`);
    check(
      `${name}: portrait served while OK is on screen, no-store`,
      direct.status === 200 && direct.bytes > 0 && /^image\//.test(direct.type || "") && /no-store/.test(direct.cacheControl || ""),
      direct,
    );
  } else {
    const img = await page.evaluate(() => {
      const i = document.getElementById("portrait");
      return { hidden: i.hidden, src: i.getAttribute("src") };
    });
    check(`${name}: no portrait with NG`, img.hidden && !img.src && state.portrait === false, img);
    const direct = await httpGet(`/api/v1/till/portrait?session=${state.session}`);
    check(`${name}: no portrait served with NG`, direct.status === 404, direct);
  }
  check(`${name}: the result with everything loaded fits the screen`, await page.evaluate(() => document.scrollingElement.scrollHeight <= innerHeight));
  await shot(page, `${name}-result`);

  await page.locator("#next").tap({ timeout: STEP_MS });
  await waitReady(page, `${name} after next customer`);
  const gone = await page.evaluate(() => {
    const imgs = [...document.querySelectorAll("img")].map((i) => i.getAttribute("src") || "");
    const b = window.__kakuninBlobs;
    return {
      portraitSrc: document.getElementById("portrait").getAttribute("src"),
      holders: imgs.filter((s) => s.startsWith("blob:") || s.includes("/till/portrait")),
      unrevoked: b.created.filter((u) => !b.revoked.includes(u)),
      created: b.created.slice(),
    };
  });
  const stillLoads = [];
  for (const u of gone.created) if ((await probeImage(page, u)) !== "error") stillLoads.push(u);
  check(
    `${name}: portrait gone from the page after next customer`,
    !gone.portraitSrc && gone.holders.length === 0 && gone.unrevoked.length === 0 && stillLoads.length === 0,
    { ...gone, stillLoads },
  );
  const after = await httpGet(`/api/v1/till/portrait?session=${state.session}`);
  check(`${name}: old portrait URL no longer answers after next customer`, after.status === 404 && after.bytes < 512, after);
  await shot(page, `${name}-next`);
}

async function main() {
  profile = mkdtempSync(join(tmpdir(), "kakunin-chromium-"));
  // Playwright adds --headless and its own flags; these are the ones this machine's closed
  // network needs (no background connections, no first-run, no updates).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1024, height: 768 }, // a till's touchscreen
    hasTouch: true,
    locale: "ja-JP",
    timeout: STEP_MS * 3,
  });
  browser = context;
  context.setDefaultTimeout(STEP_MS);
  // Record the page's object URLs (calls go through unchanged), to check each is revoked.
  await context.addInitScript(() => {
    const rec = { created: [], revoked: [] };
    window.__kakuninBlobs = rec;
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (o) => { const u = create(o); rec.created.push(u); return u; };
    URL.revokeObjectURL = (u) => { rec.revoked.push(u); revoke(u); };
  });
  const page = context.pages()[0] || (await context.newPage());

  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Not counted: the browser's own favicon request, and the probes of revoked object URLs
    // (probeImage), which are meant to fail.
    const at = m.location().url || "";
    if (m.type() === "error" && !/\/favicon\.ico$/.test(at) && !at.startsWith("blob:")) problems.push(`console: ${m.text()} (${at})`);
  });
  const portraitResponses = [];
  page.on("response", async (r) => {
    const u = new URL(r.url());
    if (u.pathname === "/api/v1/till/portrait" && r.request().frame() === page.mainFrame()) {
      portraitResponses.push({ session: Number(u.searchParams.get("session")), status: r.status(), cacheControl: r.headers()["cache-control"] });
    }
  });

  const nav = await page.goto(base + "/", { waitUntil: "load", timeout: STEP_MS });
  check("page loads", nav && nav.status() === 200, nav && nav.status());
  check("page is no-store", /no-store/.test((nav && nav.headers()["cache-control"]) || ""));
  try {
    await page.locator('[data-test^="demo-"]').first().waitFor({ state: "visible", timeout: STEP_MS });
    const ids = await page.$$eval('[data-test^="demo-"]', (bs) => bs.map((b) => b.dataset.test.slice(5)));
    const want = ["adult", "nineteen", "expired", "tampered", "stalling"];
    check("five demo customers on the page", want.every((w) => ids.includes(w)) && ids.length === want.length, ids);
  } catch (e) {
    check("five demo customers on the page", false, e.message);
  }
  await waitReady(page, "start");
  await shot(page, "ready");

  for (const c of CUSTOMERS) {
    try {
      await runCustomer(page, c, portraitResponses);
    } catch (e) {
      check(`${c.label || c.id}: ran to the end`, false, e.message);
      await shot(page, `${c.label || c.id}-error`).catch(() => {});
      // Put the till back for the next customer, if it can be.
      await page.locator("#next").tap({ timeout: 2000 }).catch(() => {});
    }
  }
  check("no script errors or CSP violations on the page", problems.length === 0, problems);
}

main().then(
  () => finish(0),
  (e) => finish(2, e && e.stack ? e.stack : e),
);
