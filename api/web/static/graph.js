// Graph view of an entity's neighbourhood (cytoscape). The list under it carries the same links
// for keyboard and screen-reader users; the canvas is an extra, never the only way.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box) return;
  var COLORS = {
    instrument: "#00576b", "case": "#9c4221", community: "#5b3f8c", concept: "#2f6b2f",
    organisation: "#6b5b00", person: "#444f58", document: "#704214", other: "#6b7780"
  };
  var RING = { center: 3, instrument: 2, "case": 2, community: 2, organisation: 2, person: 2, document: 2 };
  COLORS.center = "#003f4e";
  function message(text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "graph-message";
    p.textContent = text;
    box.appendChild(p);
  }
  if (typeof window.cytoscape !== "function") {
    message(box.dataset.failed);
    box.dataset.state = "unavailable";
    return;
  }
  message(box.dataset.loading);
  fetch(box.dataset.endpoint, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      box.textContent = "";
      var elements = data.nodes.map(function (n) {
        return { data: { id: n.id, label: n.label.length > 38 ? n.label.slice(0, 36) + "…" : n.label,
                         kind: n.id === data.center ? "center" : n.kind, href: n.href,
                         center: n.id === data.center ? 1 : 0 } };
      });
      data.edges.forEach(function (e, i) {
        elements.push({ data: { id: "e" + i, source: e.source, target: e.target, label: e.label } });
      });
      var cy = window.cytoscape({
        container: box,
        elements: elements,
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: {
              "background-color": function (n) { return COLORS[n.data("kind")] || COLORS.other; },
              label: "data(label)", color: "#1b1f23", "font-size": 11, "text-valign": "bottom",
              "text-margin-y": 3, "text-wrap": "wrap", "text-max-width": 110, width: 16, height: 16 } },
          { selector: "node[center = 1]", style: { width: 28, height: 28, "font-weight": "bold", "font-size": 12 } },
          { selector: "edge", style: { width: 1.2, "line-color": "#b7c2c8", "curve-style": "bezier",
              "target-arrow-shape": "triangle", "target-arrow-color": "#b7c2c8", "arrow-scale": 0.7 } }
        ],
        // rings: the entity in the middle, other entities around it, concepts on the outside
        layout: { name: "concentric", concentric: function (n) { return RING[n.data("kind")] || 1; },
                  levelWidth: function () { return 1; }, minNodeSpacing: 30, padding: 20, animate: false }
      });
      cy.on("tap", "node", function (evt) {
        var href = evt.target.data("href");
        if (href && evt.target.data("center") !== 1) window.location.assign(href);
      });
      window.lcGraph = cy;
      box.dataset.nodes = String(cy.nodes().length);
      box.dataset.state = "ready";
    })
    .catch(function () { message(box.dataset.failed); box.dataset.state = "failed"; });
})();
