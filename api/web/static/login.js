// Sign-in: post the form to /auth/login and show a refusal in the page instead of a JSON error.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  if (!form || !window.fetch) return;
  var error = document.getElementById("login-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      // redirected: signed in, and sent on to `next` (whatever that page answers a script's fetch)
      if (response.ok || response.redirected) {
        window.location.assign(response.redirected ? response.url : form.elements.next.value || "/");
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        error.textContent = form.dataset.failed + ": " + (problem.detail || response.statusText);
        error.hidden = false;
        form.elements.password.focus();
      });
    }).catch(function (err) {
      error.textContent = form.dataset.failed + ": " + err;
      error.hidden = false;
    });
  });
})();
