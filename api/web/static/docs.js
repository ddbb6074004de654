// The API documentation page: start the vendored Swagger UI on /openapi.json (no inline script: CSP).
(function () {
  "use strict";
  var host = document.getElementById("swagger-ui");
  if (!host) return;
  if (typeof window.SwaggerUIBundle !== "function") {
    host.textContent = host.dataset.failed;
    return;
  }
  window.SwaggerUIBundle({
    url: host.dataset.spec,
    domNode: host,
    // no deep links: they put anchors inside the operation buttons (nested interactive controls)
    deepLinking: false,
    // never ask validator.swagger.io (the default) to check the document: nothing leaves this server
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    // "Try it out" while signed in: a cookie session's writes need its CSRF token (the readable cookie)
    requestInterceptor: function (request) {
      var match = document.cookie.match(/(?:^|;\s*)lcgraph_csrf=([^;]+)/);
      if (match && !request.headers["X-CSRF-Token"]) {
        request.headers["X-CSRF-Token"] = decodeURIComponent(match[1]);
      }
      return request;
    }
  });
})();
