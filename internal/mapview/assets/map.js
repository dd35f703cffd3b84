// The live map: redraws from server-sent events, says when it last heard
// from the cluster and when it cannot, and replays history on a slider.
(function () {
  "use strict";
  var body = document.body, main = document.getElementById("map");
  var conn = document.getElementById("conn"), heard = document.getElementById("heard");
  var banner = document.getElementById("banner");
  var slider = document.getElementById("slider"), when = document.getElementById("when");
  var state = { server: false, cluster: null, error: "", lastHeard: null, deleted: "" };
  var history = null;
  var looks = { H: ["h-ok", "✔ Healthy"], D: ["h-deg", "▲ Degraded"], C: ["h-crit", "✖ Critical"], U: ["h-unk", "? Unknown"] };

  function ago(t) {
    var s = Math.max(0, Math.round((Date.now() - t.getTime()) / 1000));
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s ago";
    return t.toLocaleString();
  }
  function show() {
    var msg = "", gone = false;
    if (!state.server) {
      msg = "Lost the connection to kubectl journey map; retrying. The map shows what was last heard.";
    } else if (state.cluster === false) {
      msg = "Cannot reach the cluster (" + state.error + "); reconnecting. The map shows what was last heard.";
    } else if (state.deleted) {
      msg = state.deleted; gone = true;
    }
    banner.textContent = msg;
    banner.hidden = msg === "";
    banner.className = gone ? "banner gone" : "banner";
    main.className = gone ? "gone" : "";
    var ok = state.server && state.cluster !== false;
    conn.textContent = ok ? "live" : "disconnected";
    conn.className = ok ? "conn ok" : "conn lost";
    heard.textContent = state.lastHeard ? "last heard from the cluster " + ago(state.lastHeard) : "";
  }
  setInterval(show, 1000);

  var events = new EventSource(body.dataset.events);
  events.onopen = function () { state.server = true; show(); };
  events.onerror = function () { state.server = false; show(); };
  events.addEventListener("map", function (e) {
    main.innerHTML = e.data;
    state.deleted = "";
    replay();
    show();
  });
  events.addEventListener("state", function (e) {
    var s = JSON.parse(e.data);
    state.cluster = s.connected;
    state.error = s.error || "";
    if (s.lastHeard) state.lastHeard = new Date(s.lastHeard);
    show();
  });
  events.addEventListener("deleted", function (e) {
    state.deleted = e.data;
    show();
  });

  // replay recolours the cards as they were at the slider's step; at the
  // slider's end the map is live again.
  function replay() {
    if (!history || !slider) return;
    var i = Number(slider.value), live = i >= history.steps.length - 1;
    when.textContent = live ? "live" : new Date(history.steps[i] * 1000).toLocaleString();
    main.classList.toggle("past", !live);
    main.querySelectorAll("g.tp").forEach(function (g) {
      var line = g.querySelector("text.hw"), h = g.dataset.health;
      if (!line || h === "Unmonitored") return;
      var codes = history.touchpoints[g.dataset.tp];
      var look = live ? null : looks[codes ? codes.charAt(i) : "U"] || looks.U;
      if (!g.dataset.live) g.dataset.live = line.textContent + "|" + g.getAttribute("class");
      var saved = g.dataset.live.split("|");
      line.textContent = look ? look[1] : saved[0];
      g.setAttribute("class", look ? "tp " + look[0] : saved[1]);
    });
  }
  if (slider && body.dataset.history) {
    fetch(body.dataset.history).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
      return r.json();
    }).then(function (h) {
      history = h;
      slider.max = String(h.steps.length - 1);
      slider.value = slider.max;
      slider.disabled = false;
      slider.addEventListener("input", replay);
      replay();
    }).catch(function (err) {
      when.textContent = "history unavailable: " + err.message;
    });
  }
  show();
})();
