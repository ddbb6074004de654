// SPARQL editor: CodeMirror with the sparql mode, saved examples, results table, download links.
(function () {
  "use strict";
  var form = document.getElementById("sparql-form");
  if (!form) return;
  var textarea = document.getElementById("query");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var base = form.dataset.base || "";
  var editor = null;
  if (typeof window.CodeMirror === "function") {
    editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query",
      lineNumbers: true,
      inputStyle: "contenteditable",
      viewportMargin: Infinity,
      screenReaderLabel: document.querySelector("label[for=query]").textContent,
      // Tab leaves the editor (no keyboard trap); Ctrl/Cmd-Enter runs the query.
      extraKeys: { Tab: false, "Shift-Tab": false, "Ctrl-Enter": run, "Cmd-Enter": run }
    });
    editor.on("change", debounce(updateDownloads, 250));
  }
  function text() { return editor ? editor.getValue() : textarea.value; }
  function setText(value) { if (editor) editor.setValue(value); else textarea.value = value; }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function queryForm(query) {
    var bare = query.replace(/<[^>\s]*>/g, "<>").replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/gm, "");
    var m = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(bare);
    return m ? m[1].toUpperCase() : "SELECT";
  }
  function updateDownloads() {
    var query = text();
    var graph = /^(CONSTRUCT|DESCRIBE)$/.test(queryForm(query));
    document.querySelectorAll(".downloads a[data-format]").forEach(function (a) {
      var fmt = a.dataset.format;
      a.href = "/sparql?" + new URLSearchParams({ query: query, format: fmt }).toString();
      var usable = fmt === "json" || (fmt === "csv" ? !graph : graph);
      if (usable) a.removeAttribute("aria-disabled"); else a.setAttribute("aria-disabled", "true");
      if (usable) a.removeAttribute("tabindex"); else a.setAttribute("tabindex", "-1");
    });
  }
  function cell(term) {
    var td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri" && base && term.value.indexOf(base) === 0) {
      var a = document.createElement("a");
      a.href = "/" + term.value.slice(base.length);
      a.textContent = term.value.slice(base.length);
      td.appendChild(a);
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) {
        var span = document.createElement("span");
        span.className = "lang-tag";
        span.textContent = " @" + term["xml:lang"];
        td.appendChild(span);
      }
    }
    return td;
  }
  function table(json) {
    var vars = json.head.vars || [];
    var t = document.createElement("table");
    t.id = "results-table";
    var thead = t.createTHead().insertRow();
    vars.forEach(function (v) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = v;
      thead.appendChild(th);
    });
    var body = t.createTBody();
    json.results.bindings.forEach(function (b) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.appendChild(cell(b[v])); });
    });
    return t;
  }
  function show(node) { results.textContent = ""; results.appendChild(node); }
  function run() {
    var query = text();
    status.textContent = status.dataset.running;
    updateDownloads();
    fetch("/sparql", {
      method: "POST",
      body: new URLSearchParams({ query: query }),
      headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" }
    }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (p) {
          throw new Error(p.detail || p.title || r.statusText);
        });
      }
      if (type.indexOf("json") >= 0) {
        return r.json().then(function (json) {
          if (typeof json.boolean === "boolean") {
            var p = document.createElement("p");
            p.textContent = "ASK: " + json.boolean;
            show(p);
            status.textContent = "";
            return;
          }
          show(table(json));
          status.textContent = status.dataset.rows.replace("{n}", json.results.bindings.length);
        });
      }
      return r.text().then(function (body) {
        var pre = document.createElement("pre");
        pre.textContent = body;
        show(pre);
        status.textContent = "";
      });
    }).catch(function (err) {
      var p = document.createElement("p");
      p.className = "notice notice-error";
      p.setAttribute("role", "alert");
      p.textContent = String(err.message || err);
      show(p);
      status.textContent = "";
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  document.querySelectorAll("a.example-load").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      var pre = document.getElementById("example-" + a.dataset.example);
      if (!pre) return;
      setText(pre.textContent);
      document.querySelectorAll("a.example-load").forEach(function (x) { x.removeAttribute("aria-current"); });
      a.setAttribute("aria-current", "true");
      history.replaceState(null, "", "/sparql?example=" + encodeURIComponent(a.dataset.example));
      updateDownloads();
      if (editor) editor.focus(); else textarea.focus();
    });
  });
  updateDownloads();
})();
