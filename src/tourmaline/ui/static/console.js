/* Tourmaline console: live updates over server-sent events (no build step, no inline handlers).
 *
 * A page names its event stream in <body data-events="...">. A "station" event makes every
 * element marked data-station="<id>" fetch itself again (its hx-trigger is "station-changed");
 * an event for a station not on the page refreshes a station list (data-station-list). A
 * "frame" event carries a rendered message-log row, inserted at the top of [data-live-frames].
 * A "transaction" event refreshes what shows that station's sessions: elements marked
 * data-transactions="<id>", or data-transactions="" for every station (hx-trigger
 * "transactions-changed").
 *
 * A refresh re-renders its fragment, so a <details> in it would come back closed: one with an id
 * keeps the open or closed state the user gave it (the session page's "Meter samples").
 */
(function () {
  "use strict";
  var shownBefore = new WeakMap();
  document.addEventListener("htmx:beforeSwap", function (event) {
    var states = {};
    event.detail.target.querySelectorAll("details[id]").forEach(function (element) {
      states[element.id] = element.open;
    });
    shownBefore.set(event.detail.xhr, states);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var states = shownBefore.get(event.detail.xhr) || {};
    Object.keys(states).forEach(function (id) {
      var element = document.getElementById(id);
      if (element && element.tagName === "DETAILS") { element.open = states[id]; }
    });
  });
})();

(function () {
  "use strict";
  var url = document.body.dataset.events;
  if (!url || !window.EventSource || !window.htmx) { return; }
  var status = document.getElementById("live-status");
  var source = new EventSource(url);

  function say(text) { if (status && status.textContent !== text) { status.textContent = text; } }

  source.addEventListener("open", function () { say("Live updates on"); });
  source.addEventListener("error", function () { say("Live updates interrupted, reconnecting…"); });

  source.addEventListener("station", function (event) {
    var data = JSON.parse(event.data);
    var selector = '[data-station="' + CSS.escape(data.stationId) + '"]';
    var shown = document.querySelectorAll(selector);
    if (shown.length) {
      shown.forEach(function (element) { htmx.trigger(element, "station-changed"); });
    } else {
      document.querySelectorAll("[data-station-list]").forEach(function (element) {
        htmx.trigger(element, "stations-changed");
      });
    }
  });

  // Sessions change in bursts (meter values every few seconds per running session, from many
  // stations on the list of all): what shows them refreshes at most once per interval, and no
  // change is lost at the end of a burst, since a refresh reads everything committed before it.
  var pending = {};
  function refreshSessions(key) {
    var selector = '[data-transactions="' + CSS.escape(key) + '"]';
    if (pending[key] || !document.querySelector(selector)) { return; }
    pending[key] = setTimeout(function () {
      delete pending[key];
      document.querySelectorAll(selector).forEach(function (element) {
        htmx.trigger(element, "transactions-changed");
      });
    }, 600);
  }
  source.addEventListener("transaction", function (event) {
    refreshSessions(JSON.parse(event.data).stationId);
    refreshSessions("");
  });

  source.addEventListener("frame", function (event) {
    var body = document.querySelector("[data-live-frames]");
    if (!body) { return; }
    body.insertAdjacentHTML("afterbegin", event.data);
    var limit = Number(body.dataset.liveFrames) || 200;
    while (body.rows.length > limit) { body.deleteRow(-1); }
    var empty = document.getElementById("no-frames");
    if (empty) { empty.remove(); }
  });

  window.addEventListener("pagehide", function () { source.close(); });
})();
