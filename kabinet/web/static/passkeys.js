// Passkeys (issue 24): the one place the cabinet needs JavaScript — WebAuthn is a browser API. Each control is a
// button with data-passkey-* attributes; it is shown only where the browser can make or use passkeys, and every
// other way (a password and a code) keeps working without it. The server speaks the WebAuthn Level 3 JSON forms,
// which the browser parses and produces itself (parse…FromJSON, toJSON). On the sign-in page a browser with
// conditional UI also lists the site's passkeys in the login field's autofill.
(function () {
  "use strict";
  var controls = document.querySelectorAll("[data-passkey]");
  if (!controls.length) return;
  var able = !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON &&
                PublicKeyCredential.parseRequestOptionsFromJSON);

  function say(box, text, bad) {
    if (!box) return;
    box.textContent = text;
    box.className = "notice " + (bad ? "notice--error" : "notice--ok");
    box.hidden = false;
  }

  function call(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) { var e = new Error(json.title || response.statusText); e.problem = json; throw e; }
        return json;
      });
    });
  }

  function failed(box, control, error) {
    if (error && error.problem && error.problem.code === "auth.step_up_required") {
      window.location = "/step-up?next=" + encodeURIComponent(control.getAttribute("data-back") || location.pathname);
      return;
    }
    var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
    var exists = error && error.name === "InvalidStateError";
    say(box, cancelled ? control.getAttribute("data-msg-cancelled") :
      exists ? control.getAttribute("data-msg-exists") :
      (error && error.problem && error.problem.title) || control.getAttribute("data-msg-failed"), true);
    control.disabled = false;
  }

  // Sign-in with no login typed: by the button (a modal dialog), or — where the browser offers conditional UI — by
  // picking a passkey from the login field's autofill list (mediation "conditional", autocomplete="username webauthn").
  // The autofill offer starts when the citizen reaches for the login field (a pointer or a key on it), not at page
  // load: every offer stores a single-use challenge, and a sign-in page is opened far more often than used (monitors,
  // bots, a tab left open past the challenge's five minutes). It then waits quietly until the citizen picks a
  // passkey, types a login instead, or presses the button.
  var offering = null;

  function stopOffering() {
    if (offering) { offering.abort(); offering = null; }
  }

  function signIn(control, mediation) {
    return call("/api/v1/sign-in/passkey/options").then(function (answer) {
      var request = {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(answer.options)};
      if (mediation) {
        offering = new AbortController();
        request.mediation = mediation;
        request.signal = offering.signal;
      }
      return navigator.credentials.get(request);
    }).then(function (credential) {
      offering = null;
      return call("/api/v1/sign-in/passkey", {credential: credential.toJSON()});
    }).then(function () {
      window.location = control.getAttribute("data-after");
    });
  }

  function offerInAutofill(control, box) {
    var field = document.querySelector("input[autocomplete~='webauthn']");
    if (!field || !PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
      if (!yes) return;
      var started = false;
      function start() {
        if (started) return;
        started = true;
        signIn(control, "conditional").catch(function (error) {
          started = false;  // the next reach for the field offers the passkeys again
          if (error && error.name === "AbortError") return;  // the button took over, or the page is leaving
          failed(box, control, error);
        });
      }
      ["pointerdown", "touchstart", "keydown"].forEach(function (kind) { field.addEventListener(kind, start); });
    }).catch(function () { /* no conditional UI: the button and the form stay */ });
  }

  var actions = {
    add: function (control, box) {
      var field = document.getElementById(control.getAttribute("data-name-field"));
      var name = field ? field.value : "";
      var api = control.getAttribute("data-api") || "/api/v1/passkeys";  // the console's keys: /operator/keys
      return call(api + "/options").then(function (answer) {
        var options = PublicKeyCredential.parseCreationOptionsFromJSON(answer.options);
        return navigator.credentials.create({publicKey: options});
      }).then(function (credential) {
        return call(api, {name: name, credential: credential.toJSON()});
      }).then(function () {
        window.location = control.getAttribute("data-after");
      });
    },
    "sign-in": function (control) {
      stopOffering();  // one WebAuthn request at a time: the button's dialog replaces the autofill offer
      return signIn(control, null);
    },
    recovery: function (control) {
      // the second proof of a recovery (signed out): the recovery's own id, no session
      var path = "/api/v1/recovery/" + control.getAttribute("data-recovery") + "/passkey";
      return call(path + "/options").then(function (answer) {
        var options = PublicKeyCredential.parseRequestOptionsFromJSON(answer.options);
        return navigator.credentials.get({publicKey: options});
      }).then(function (credential) {
        return call(path, {credential: credential.toJSON()});
      }).then(function () {
        window.location = control.getAttribute("data-after");
      });
    },
    "operator-key": function (control) {
      // a console sign-in's second step by the operator's security key; the answer sets the console's cookie
      var path = "/api/v1/operator/sign-in/" + control.getAttribute("data-challenge") + "/key";
      return call(path + "/options").then(function (answer) {
        var options = PublicKeyCredential.parseRequestOptionsFromJSON(answer.options);
        return navigator.credentials.get({publicKey: options});
      }).then(function (credential) {
        return call(path, {credential: credential.toJSON()});
      }).then(function (done) {
        window.location = done.operator && done.operator.must_change_password ? "/operator/password" :
          control.getAttribute("data-after");
      });
    },
    answer: function (control) {
      var path = "/api/v1/challenges/" + control.getAttribute("data-challenge") + "/passkey";
      return call(path + "/options").then(function (answer) {
        var options = PublicKeyCredential.parseRequestOptionsFromJSON(answer.options);
        return navigator.credentials.get({publicKey: options});
      }).then(function (credential) {
        return call(path, {credential: credential.toJSON()});
      }).then(function () {
        window.location = control.getAttribute("data-after");
      });
    }
  };

  var signInControl = document.querySelector("[data-passkey='sign-in']");
  if (able && signInControl) {
    offerInAutofill(signInControl, document.getElementById(signInControl.getAttribute("data-status")));
  }

  controls.forEach(function (control) {
    var box = document.getElementById(control.getAttribute("data-status"));
    var wrapper = control.closest("[data-passkey-area]") || control;
    if (!able) {
      var note = document.getElementById(control.getAttribute("data-unsupported"));
      if (note) note.hidden = false;
      return;
    }
    wrapper.hidden = false;
    control.addEventListener("click", function (event) {
      event.preventDefault();
      control.disabled = true;
      if (box) box.hidden = true;
      actions[control.getAttribute("data-passkey")](control, box).catch(function (error) {
        failed(box, control, error);
      });
    });
  });
})();
