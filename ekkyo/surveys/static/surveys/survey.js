/* ekkyo survey: keep every answer on the device as it is given, send once.
 *
 * - Answers are saved to localStorage on every change; a closed tab or a
 *   reload resumes where the student was.
 * - Class I answers (health) are stored encrypted (AES-GCM, WebCrypto) with a
 *   key that comes with the page and is never stored.
 * - The submission carries a client-generated id; a resend is harmless
 *   (the server stores it once). A queued submission is retried when the
 *   browser comes back online, on a timer, and on the next page load — not
 *   only on reload.
 */
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) { return; }
  var prefix = "ekkyo-survey:" + form.dataset.storageId + ":";
  var statusEl = document.getElementById("status");
  var sendBtn = document.getElementById("send");
  var keyPromise = null;

  function b64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }
  function cryptoKey() {
    if (!keyPromise) {
      keyPromise = window.crypto.subtle.importKey("raw", unb64(form.dataset.storageKey), "AES-GCM", false, ["encrypt", "decrypt"]);
    }
    return keyPromise;
  }
  function encrypt(text) {
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    return cryptoKey().then(function (key) {
      return window.crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, new TextEncoder().encode(text));
    }).then(function (ct) { return b64(iv) + "." + b64(ct); });
  }
  function decrypt(blob) {
    var parts = blob.split(".");
    return cryptoKey().then(function (key) {
      return window.crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(parts[0]) }, key, unb64(parts[1]));
    }).then(function (pt) { return new TextDecoder().decode(pt); });
  }
  function get(name) { try { return window.localStorage.getItem(prefix + name); } catch (e) { return null; } }
  function set(name, value) { try { window.localStorage.setItem(prefix + name, value); } catch (e) { /* storage full or blocked */ } }
  function uuid4() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function clientId() {
    var id = get("client_id");
    if (!id) { id = uuid4(); set("client_id", id); }
    return id;
  }
  function isClass1(code) {
    var fs = form.querySelector('fieldset[data-item="' + code + '"]');
    return fs && fs.dataset.class1 === "1";
  }
  function collect() {
    var plain = {}, sensitive = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]:checked"), function (input) {
      (isClass1(input.name) ? sensitive : plain)[input.name] = Number(input.value);
    });
    return { plain: plain, sensitive: sensitive };
  }
  function progress() {
    var total = form.querySelectorAll("fieldset.question").length;
    var done = form.querySelectorAll("fieldset.question input:checked").length;
    document.getElementById("progress").value = done;
    document.getElementById("progress-text").textContent = done + " / " + total;
  }
  function save() {
    var a = collect();
    set("answers", JSON.stringify(a.plain));
    progress();
    return encrypt(JSON.stringify(a.sensitive)).then(function (blob) {
      set("class1", blob);
      if (get("state") !== "sent") { statusEl.textContent = form.dataset.msgSaved; }
    });
  }
  function apply(values) {
    Object.keys(values).forEach(function (code) {
      var input = form.querySelector('input[name="' + code + '"][value="' + values[code] + '"]');
      if (input) { input.checked = true; }
    });
  }
  function restore() {
    var plain = get("answers");
    if (plain) { apply(JSON.parse(plain)); }
    var blob = get("class1");
    var done = blob ? decrypt(blob).then(function (text) { apply(JSON.parse(text)); }).catch(function () {}) : Promise.resolve();
    return done.then(progress);
  }
  function showSent() {
    statusEl.textContent = form.dataset.msgSent;
    sendBtn.disabled = true;
    Array.prototype.forEach.call(form.querySelectorAll("input"), function (i) { i.disabled = true; });
  }
  var sending = false;
  function send() {
    if (sending || get("state") !== "queued") { return Promise.resolve(); }
    sending = true;
    statusEl.textContent = form.dataset.msgSending;
    var payload = get("payload");
    return fetch(form.dataset.submitUrl, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: payload, credentials: "omit"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) { set("state", "sent"); showSent(); return; }
        if (r.status >= 500) { throw new Error("server " + r.status); }
        set("state", "refused");
        statusEl.textContent = form.dataset.msgError + " " + (body.error || r.status);
      });
    }).catch(function () {
      statusEl.textContent = form.dataset.msgOffline;
    }).then(function () { sending = false; });
  }
  function queue() {
    var a = collect();
    var all = Object.assign({}, a.plain, a.sensitive);
    set("payload", JSON.stringify({ client_id: clientId(), answers: all }));
    set("state", "queued");
    return send();
  }
  form.addEventListener("change", function () { save(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    save().then(queue);
  });
  window.addEventListener("online", function () { send(); });
  window.setInterval(function () { send(); }, 10000);
  restore().then(function () {
    if (get("state") === "sent") { showSent(); } else if (get("state") === "queued") { send(); }
  });
}());
