// Search page: on a phone the filters start folded, so the results are in view. Ticking a filter does
// not reload the page by itself (no change of context on input, WCAG 3.2.2); "Apply filters" does.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var details = form.querySelector("details.facets");
  if (details && window.matchMedia("(max-width: 52rem)").matches) details.open = false;
})();
