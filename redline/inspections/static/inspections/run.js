// The phone checklist of an inspection: every answer, photo and signature is first kept on
// the device (IndexedDB: an outbox of submissions, each with its own idempotency key), then
// sent in order when the connection allows. The server recognises a resent key and changes
// nothing, so nothing is lost and nothing arrives twice. The page says what still waits.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("checklist-config").textContent);
  const form = document.getElementById("checklist");
  // Nothing is sent by the form itself: each answer goes through the outbox below.
  form.addEventListener("submit", (event) => event.preventDefault());
  const words = form.dataset;
  const status = document.getElementById("sync-status");
  const refusedList = document.getElementById("sync-refused");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const DB_NAME = "redline-inspections";
  let db = null;
  let sending = false;

  // --- storage ----------------------------------------------------------------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const base = request.result;
        base.createObjectStore("outbox", { keyPath: "key" }).createIndex("inspection", "inspection");
        base.createObjectStore("answers", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function tx(store, mode, work) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = work(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  function all(store) {
    return tx(store, "readonly", (s) => s.getAll());
  }

  function newKey(kind) {
    const random = (crypto.randomUUID && crypto.randomUUID()) ||
      String(Date.now()) + Math.random().toString(16).slice(2);
    return `${config.inspection}:${kind}:${random}`;
  }

  async function enqueue(kind, path, body) {
    const key = newKey(kind);
    const entry = {
      key, inspection: config.inspection, kind, url: config.api + path,
      body: Object.assign({ key }, body), created: Date.now(),
    };
    await tx("outbox", "readwrite", (s) => s.put(entry));
    // How many submissions this page has kept (for people and tests who watch it).
    status.dataset.kept = String(Number(status.dataset.kept || 0) + 1);
    showStatus();
    send();
    return entry;
  }

  // --- answers ----------------------------------------------------------------------------

  const answers = Object.assign({}, config.answers);
  const photos = Object.assign({}, config.photos);

  function outcome(item, value) {
    if (value === undefined || value === null || value === "") return null;
    if (item.answer === "number") {
      if (value === "not_applicable") return value;
      const n = Number(value);
      if (!Number.isFinite(n)) return null;
      if ((item.min !== null && n < item.min) || (item.max !== null && n > item.max)) return "non_compliant";
      return "compliant";
    }
    if (item.answer === "compliance") return value;
    return "answered";
  }

  function shown() {
    const visible = new Set();
    for (const item of config.items) {
      const rule = item.show_if;
      if (!rule || (visible.has(rule.item) && rule.answers.includes(outcome(byCode[rule.item], answers[rule.item])))) {
        visible.add(item.code);
      }
    }
    return visible;
  }

  const byCode = {};
  for (const item of config.items) byCode[item.code] = item;

  async function answer(item, value) {
    answers[item.code] = value;
    const at = new Date().toISOString();
    await tx("answers", "readwrite", (s) => s.put({ id: `${config.inspection}:${item.code}`, value, at }));
    await enqueue("answer", "/answers", { item: item.code, value, answered_at: at });
    refresh();
  }

  function downscale(file) {
    // A phone's photo, at most 1600 px on its longer side, as JPEG (well under 5 MB).
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => {
        const scale = Math.min(1, 1600 / Math.max(image.width, image.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(image.width * scale);
        canvas.height = Math.round(image.height * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(image.src);
        resolve(canvas.toDataURL("image/jpeg", 0.82).split(",")[1]);
      };
      image.onerror = () => reject(new Error("not an image"));
      image.src = URL.createObjectURL(file);
    });
  }

  async function addPhotos(item, files) {
    const list = [];
    for (const file of files) list.push({ name: file.name || "photo.jpg", content_base64: await downscale(file) });
    if (!list.length) return;
    photos[item.code] = (photos[item.code] || 0) + list.length;
    await enqueue("photo", "/photos", { item: item.code, photos: list });
    if (item.answer === "photo") await answer(item, "answered");
    refresh();
  }

  // --- the page ---------------------------------------------------------------------------

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function control(item) {
    const current = answers[item.code];
    if (item.answer === "compliance") {
      const box = element("div", { class: "choices", role: "radiogroup" });
      for (const [value, label] of [["compliant", words.compliant], ["non_compliant", words.nonCompliant], ["not_applicable", words.notApplicable]]) {
        const input = element("input", { type: "radio", name: `answer-${item.code}`, value, checked: current === value });
        input.addEventListener("change", () => answer(item, value));
        box.append(element("label", { class: `choice ${value}` }, input, " ", label));
      }
      return box;
    }
    if (item.answer === "number") {
      const input = element("input", { type: "number", step: "any", inputmode: "decimal", name: `answer-${item.code}`, value: current ?? "" });
      input.addEventListener("change", () => { if (input.value !== "") answer(item, Number(input.value)); });
      const limits = [item.min, item.max].some((v) => v !== null)
        ? element("small", { class: "muted" }, ` ${words.limits}: ${item.min ?? "—"} – ${item.max ?? "—"} ${item.unit_label || ""}`) : "";
      return element("div", {}, input, " ", item.unit_label || "", limits);
    }
    if (item.answer === "text") {
      const area = element("textarea", { rows: "2", name: `answer-${item.code}` });
      area.value = current || "";
      area.addEventListener("change", () => { if (area.value.trim()) answer(item, area.value.trim()); });
      return area;
    }
    return element("span", { class: "muted" }, "");
  }

  function photoControl(item) {
    const input = element("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, name: `photo-${item.code}` });
    input.addEventListener("change", () => { addPhotos(item, Array.from(input.files)); input.value = ""; });
    const count = element("small", { class: "photo-count", "data-item": item.code }, photos[item.code] ? `${photos[item.code]} ${words.photosKept}` : "");
    return element("label", { class: "photo" }, `${words.photo} `, input, " ", count);
  }

  function refresh() {
    const visible = shown();
    const root = document.getElementById("items");
    root.replaceChildren();
    let section = null;
    for (const item of config.items) {
      if (!visible.has(item.code)) continue;
      if (item.section !== section) {
        section = item.section;
        root.append(element("h2", {}, section));
      }
      const bad = outcome(item, answers[item.code]) === "non_compliant";
      const card = element("fieldset", { class: `item${bad ? " bad" : ""}`, id: `item-${item.code}` },
        element("legend", {}, element("code", {}, item.code), " ", item.text));
      if (item.guidance) card.append(element("p", { class: "small muted" }, item.guidance));
      if (item.cites) card.append(element("p", { class: "small flag" }, `${words.cites} ${item.cites}`));
      card.append(control(item));
      if (item.answer === "photo" || item.photo_required || bad) card.append(photoControl(item));
      if ((item.answer === "photo" || (bad && item.photo_required)) && !photos[item.code]) {
        card.append(element("p", { class: "field-error" }, words.photoNeeded));
      }
      root.append(card);
    }
  }

  // --- signatures -------------------------------------------------------------------------

  function signaturePad() {
    const pad = document.getElementById("pad");
    const context = pad.getContext("2d");
    let drawing = false;
    let drawn = false;
    context.lineWidth = 3;
    context.lineCap = "round";
    function point(event) {
      const box = pad.getBoundingClientRect();
      return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
    }
    pad.addEventListener("pointerdown", (event) => {
      drawing = true; drawn = true;
      pad.setPointerCapture(event.pointerId);
      context.beginPath(); context.moveTo(...point(event));
    });
    pad.addEventListener("pointermove", (event) => { if (drawing) { context.lineTo(...point(event)); context.stroke(); } });
    pad.addEventListener("pointerup", () => { drawing = false; });
    document.getElementById("pad-clear").addEventListener("click", () => { context.clearRect(0, 0, pad.width, pad.height); drawn = false; });
    document.getElementById("pad-save").addEventListener("click", async () => {
      const name = document.getElementById("signer-name").value.trim();
      const signer = document.getElementById("signer").value;
      const problem = document.getElementById("pad-problem");
      problem.textContent = !drawn || !name ? problem.dataset.message : "";
      if (!drawn || !name) return;
      const image = { name: "signature.png", content_base64: pad.toDataURL("image/png").split(",")[1] };
      await enqueue("signature", "/signatures", { signer, name, image });
      document.getElementById("signed").append(element("li", {}, `${signer === "unit" ? "◆" : "✓"} ${name}`));
      context.clearRect(0, 0, pad.width, pad.height); drawn = false;
      document.getElementById("signer-name").value = "";
    });
  }

  // --- sending ----------------------------------------------------------------------------

  async function showStatus() {
    const waiting = (await all("outbox")).filter((e) => e.inspection === config.inspection).length;
    status.dataset.waiting = String(waiting);
    if (!navigator.onLine && waiting) status.textContent = `${status.dataset.offline} (${waiting})`;
    else if (waiting === 1) status.textContent = status.dataset.waitingOne;
    else if (waiting) status.textContent = status.dataset.waitingMany.replace("{n}", waiting);
    else status.textContent = status.dataset.allSent;
    status.classList.toggle("waiting", waiting > 0);
  }

  async function send() {
    if (sending || !navigator.onLine) { showStatus(); return; }
    sending = true;
    try {
      const queue = (await all("outbox"))
        .filter((e) => e.inspection === config.inspection)
        .sort((a, b) => a.created - b.created);
      for (const entry of queue) {
        let response;
        try {
          response = await fetch(entry.url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify(entry.body),
          });
        } catch (error) {
          break; // no connection: try again later, in the same order
        }
        if (response.status >= 500 || response.status === 408 || response.status === 429) break;
        if (!response.ok) {
          // Refused for good (e.g. the inspection was completed meanwhile): say so, keep going.
          let message = String(response.status);
          try { const body = await response.json(); message = body.error.message + " " + Object.values(body.error.fields || {}).join(" "); } catch (ignored) { /* not JSON */ }
          refusedList.append(element("li", {}, `${status.dataset.refused}: ${entry.kind} ${entry.body.item || entry.body.signer || ""} — ${message}`));
        }
        await tx("outbox", "readwrite", (s) => s.delete(entry.key));
        await showStatus();
      }
    } finally {
      sending = false;
      showStatus();
    }
  }

  async function start() {
    db = await openDb();
    // What this phone answered and has not yet seen back from the server stands.
    for (const local of await all("answers")) {
      const [inspection, code] = local.id.split(":");
      if (Number(inspection) === config.inspection && byCode[code]) answers[code] = local.value;
    }
    for (const entry of await all("outbox")) {
      if (entry.inspection === config.inspection && entry.kind === "photo") {
        photos[entry.body.item] = (photos[entry.body.item] || 0) + entry.body.photos.length;
      }
    }
    refresh();
    signaturePad();
    window.addEventListener("online", send);
    window.addEventListener("offline", showStatus);
    setInterval(send, 5000);
    send();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/inspections/offline-worker.js", { scope: "/inspections/" }).catch(() => {});
    }
  }

  start();
})();
