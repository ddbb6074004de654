// Contribution forms: after a refused post, move focus to the summary of problems, so keyboard and
// screen-reader users hear what to fix; its links move focus to the field concerned.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
