// roomlive review: the timeline's details on hover or tap, the replay scrubber, print, import.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function timeFormat(tz) {
    try {
      return new Intl.DateTimeFormat("en-GB", {
        timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
      });
    } catch (e) {
      return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    }
  }

  function setUpReview(svg) {
    var start = parseFloat(svg.dataset.start);
    var end = parseFloat(svg.dataset.end);
    var left = parseFloat(svg.dataset.left);
    var right = parseFloat(svg.dataset.right);
    var format = timeFormat(svg.dataset.tz);
    var cursor = document.getElementById("cursor");
    var scrubber = document.getElementById("scrubber");
    var output = document.getElementById("scrub-time");
    var detail = document.getElementById("detail");
    var form = document.getElementById("scrub");
    var moments = scrubber ? JSON.parse(scrubber.dataset.moments || "[]") : [];

    function showMoment() {
      var at = parseFloat(scrubber.value);
      var share = Math.min(1, Math.max(0, (at - start) / (end - start)));
      var x = String(left + share * (right - left));
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
      output.textContent = format.format(new Date(at * 1000));
    }
    function moveTo(at) {
      scrubber.value = String(Math.ceil(at)); // the moment itself, with its event
      showMoment();
      scrubber.dispatchEvent(new Event("input", { bubbles: true })); // htmx fetches the replay
    }

    if (scrubber) {
      scrubber.addEventListener("input", showMoment);
      form.addEventListener("submit", function (evt) { evt.preventDefault(); });
      form.querySelectorAll("[data-step]").forEach(function (button) {
        button.addEventListener("click", function () {
          var now = parseFloat(scrubber.value);
          var forward = button.dataset.step === "1";
          var found = null;
          moments.forEach(function (at) {
            if (forward && at > now && (found === null || at < found)) found = at;
            if (!forward && at < now && (found === null || at > found)) found = at;
          });
          if (found !== null) moveTo(found);
        });
      });
      showMoment();
    }

    function itemOf(evt) { return evt.target.closest ? evt.target.closest(".item[data-detail]") : null; }
    function show(item) { if (item && detail) detail.textContent = item.dataset.detail; }
    svg.addEventListener("mouseover", function (evt) { show(itemOf(evt)); });
    svg.addEventListener("focusin", function (evt) { show(itemOf(evt)); });
    svg.addEventListener("click", function (evt) {
      var item = itemOf(evt);
      if (!item) return;
      show(item);
      if (scrubber && item.dataset.at) moveTo(parseFloat(item.dataset.at));
    });
    svg.addEventListener("keydown", function (evt) {
      var item = itemOf(evt);
      if (item && (evt.key === "Enter" || evt.key === " ")) {
        evt.preventDefault();
        show(item);
        if (scrubber && item.dataset.at) moveTo(parseFloat(item.dataset.at));
      }
    });
  }

  function setUpImport(form) {
    var message = document.getElementById("import-message");

    // The same file again (or a retry whose answer was lost): one session, and a way to it.
    function showAlready(review) {
      var link = document.createElement("a");
      link.href = review;
      link.textContent = "open its review";
      message.className = "";
      message.textContent = "Already imported: this file is a session here already — ";
      message.appendChild(link);
      message.appendChild(document.createTextNode("."));
    }
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var file = form.querySelector("input[type=file]").files[0];
      if (!file) { message.textContent = "Choose a roomlive JSON export first."; return; }
      message.textContent = "Importing…";
      file.text().then(function (text) {
        return fetch(form.action, {
          method: "POST", body: text, credentials: "same-origin",
          headers: { "content-type": "application/json" }
        });
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok && body.already) { showAlready(body.review); return; }
          if (response.ok && body.review) { window.location.assign(body.review); return; }
          message.className = "error";
          message.textContent = "Not imported: " + (body.error || response.status) + ".";
        });
      }).catch(function () {
        message.textContent = "Not imported: no connection to the roomlive server.";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var svg = document.getElementById("timeline");
    if (svg) setUpReview(svg);
    var importForm = document.getElementById("import-form");
    if (importForm) setUpImport(importForm);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
