// Gatehouse access portal: WebAuthn ceremonies and copy buttons. Loaded as
// a file (the CSP allows no inline script); every request carries the
// page's CSRF token.
"use strict";
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  const b64uToBuf = (s) => {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  };
  const bufToB64u = (buf) => {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const post = async (url, body) => {
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    const data = await res.json().catch(() => ({ message: "Unexpected answer from the server." }));
    return { ok: res.ok, data };
  };

  const showError = (msg) => {
    const el = document.getElementById("webauthn-error");
    if (!el) return;
    el.textContent = msg;
    el.hidden = false;
    el.focus && el.focus();
  };

  const follow = (r) => {
    if (r.data.redirect) { window.location.assign(r.data.redirect); return; }
    showError(r.data.message || "That did not work. Try again.");
  };

  const credentialJSON = (cred) => {
    const r = cred.response;
    const out = { id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}, response: {} };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    for (const k of ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"]) {
      if (r[k]) out.response[k] = bufToB64u(r[k]);
    }
    if (r.getTransports) out.response.transports = r.getTransports();
    return out;
  };

  async function login() {
    const begin = await post("/start/mfa/webauthn/begin");
    if (!begin.ok) return follow(begin);
    const pk = begin.data.publicKey;
    pk.challenge = b64uToBuf(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = b64uToBuf(c.id); });
    let cred;
    try { cred = await navigator.credentials.get({ publicKey: pk }); }
    catch (e) { return showError("The security key did not answer (" + e.name + "). Try again."); }
    follow(await post("/start/mfa/webauthn/finish", { credential: credentialJSON(cred) }));
  }

  async function register() {
    const begin = await post("/start/mfa/register/webauthn/begin");
    if (!begin.ok) return follow(begin);
    const pk = begin.data.publicKey;
    pk.challenge = b64uToBuf(pk.challenge);
    pk.user.id = b64uToBuf(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = b64uToBuf(c.id); });
    let cred;
    try { cred = await navigator.credentials.create({ publicKey: pk }); }
    catch (e) { return showError("The security key was not registered (" + e.name + "). Try again."); }
    const name = (document.getElementById("key-name") || {}).value || "";
    follow(await post("/start/mfa/register/webauthn/finish", { credential: credentialJSON(cred), name }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const l = document.getElementById("webauthn-login");
    if (l) l.addEventListener("click", login);
    const r = document.getElementById("webauthn-register");
    if (r) r.addEventListener("click", register);
    document.querySelectorAll("button[data-copy]").forEach((b) => {
      b.addEventListener("click", async () => {
        const text = document.getElementById(b.dataset.copy).textContent;
        try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; }
        catch (e) { b.textContent = "Select and copy"; }
        setTimeout(() => { b.textContent = "Copy"; }, 2000);
      });
    });
    if (!window.PublicKeyCredential) {
      document.querySelectorAll(".webauthn button").forEach((b) => { b.disabled = true; });
      showError("This browser does not support security keys or passkeys.");
    }
  });
})();
