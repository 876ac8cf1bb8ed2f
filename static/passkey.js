// The WebAuthn ceremony of the hosted pages, the only script they load. A form marked
// data-passkey="get" (sign in) or "create" (add a passkey) carries the server's options in
// data-options (base64url members, as the JSON API sends them); on submit the browser's
// authenticator answers and the answer goes back in the form's hidden "credential" field, as
// the API's AuthenticationResponseJSON / RegistrationResponseJSON.
"use strict";
(function () {
  function toBuffer(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function answer(credential, kind) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (kind === "create") {
      response.attestationObject = toText(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  function fail(form, key) {
    var status = document.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = form.getAttribute(key);
      status.hidden = false;
    }
  }

  function ceremony(form) {
    var kind = form.getAttribute("data-passkey");
    if (!window.PublicKeyCredential || !navigator.credentials) return fail(form, "data-unsupported");
    var options = JSON.parse(form.getAttribute("data-options"));
    options.challenge = toBuffer(options.challenge);
    var listed = kind === "create" ? options.excludeCredentials : options.allowCredentials;
    (listed || []).forEach(function (c) { c.id = toBuffer(c.id); });
    if (kind === "create") options.user.id = toBuffer(options.user.id);
    var request = kind === "create"
      ? navigator.credentials.create({ publicKey: options })
      : navigator.credentials.get({ publicKey: options });
    request.then(function (credential) {
      form.querySelector("input[name=credential]").value = JSON.stringify(answer(credential, kind));
      form.submit();
    }, function () { fail(form, "data-failed"); });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!form.querySelector("input[name=credential]").value) {
        event.preventDefault();
        ceremony(form);
      }
    });
  });
})();
