/* ahcue report: links the video, the timeline and the segment cards. Plain JS, no network, no
   library. Any element with data-seek-s="<seconds>" seeks the video when clicked (or Enter when
   focused); a click anywhere else on the timeline seeks to that time; while the video plays a
   playhead follows it and the current segment card is highlighted. Keys: space plays or pauses,
   left/right arrows step 5 s (shift: 1 s), tab reaches every segment card and cue lane. */
(function () {
  "use strict";
  var video = document.getElementById("video");
  var svg = document.querySelector("svg.timeline");
  var playhead = document.getElementById("playhead");
  var tip = document.getElementById("cue-tip");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-start-s]"));
  var bands = Array.prototype.slice.call(document.querySelectorAll("svg.timeline .band"));
  var clockEl = document.getElementById("clock");
  var now = 0;  // the time shown when there is no playable video

  function duration() { return svg ? parseFloat(svg.getAttribute("data-duration")) : 0; }
  function current() { return video && video.readyState > 0 ? video.currentTime : now; }
  function fmt(t) {
    var m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function show(t) {
    if (svg && playhead) {
      var x0 = parseFloat(svg.getAttribute("data-x0")), x1 = parseFloat(svg.getAttribute("data-x1"));
      var d = duration() || 1;
      var x = x0 + (x1 - x0) * Math.max(0, Math.min(1, t / d));
      playhead.setAttribute("x1", x.toFixed(2));
      playhead.setAttribute("x2", x.toFixed(2));
    }
    cards.forEach(function (card, i) {
      var on = t >= parseFloat(card.getAttribute("data-start-s")) && t < parseFloat(card.getAttribute("data-end-s"));
      card.classList.toggle("current", on);
      if (bands[i]) { bands[i].classList.toggle("current", on); }
    });
    if (clockEl) { clockEl.textContent = fmt(t); }
  }

  function seek(t) {
    var end = video && isFinite(video.duration) ? video.duration : duration();
    t = Math.max(0, Math.min(end || t, t));
    now = t;
    if (video) {
      try { video.currentTime = t; } catch (e) { /* not loaded yet: the playhead still moves */ }
    }
    show(t);
  }

  function timeAt(evt) {
    var r = svg.getBoundingClientRect();
    var vb = svg.viewBox.baseVal;
    var ux = (evt.clientX - r.left) * vb.width / r.width;
    var x0 = parseFloat(svg.getAttribute("data-x0")), x1 = parseFloat(svg.getAttribute("data-x1"));
    if (ux < x0 || ux > x1) { return null; }
    return (ux - x0) / (x1 - x0) * duration();
  }

  document.addEventListener("click", function (evt) {
    var el = evt.target.closest ? evt.target.closest("[data-seek-s]") : null;
    if (el) {
      seek(parseFloat(el.getAttribute("data-seek-s")));
      return;
    }
    if (svg && svg.contains(evt.target)) {
      var t = timeAt(evt);
      if (t !== null) { seek(t); }
    }
  });

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("keydown", function (evt) {
    var el = document.activeElement;
    if (typing(el) || evt.altKey || evt.ctrlKey || evt.metaKey) { return; }
    if (evt.key === "Enter" && el && el.hasAttribute && el.hasAttribute("data-seek-s")) {
      seek(parseFloat(el.getAttribute("data-seek-s")));
      evt.preventDefault();
    } else if (evt.key === " " && el !== video && !(el && el.tagName === "BUTTON")) {
      if (video) { if (video.paused) { video.play(); } else { video.pause(); } }
      evt.preventDefault();
    } else if ((evt.key === "ArrowLeft" || evt.key === "ArrowRight") && el !== video) {
      var step = evt.shiftKey ? 1 : 5;
      seek(current() + (evt.key === "ArrowLeft" ? -step : step));
      evt.preventDefault();
    }
  });

  function showTip(lane, evt) {
    if (!tip) { return; }
    tip.innerHTML = "";
    var b = document.createElement("strong");
    b.textContent = lane.getAttribute("data-name");
    var m = document.createElement("span");
    m.className = "mod";
    m.textContent = " " + lane.getAttribute("data-modality");
    var d = document.createElement("div");
    d.textContent = lane.getAttribute("data-definition");
    tip.appendChild(b); tip.appendChild(m); tip.appendChild(d);
    var box = svg.parentNode.getBoundingClientRect();
    var r = lane.getBoundingClientRect();
    tip.style.left = Math.max(0, (evt && evt.clientX ? evt.clientX - box.left + 12 : 8)) + "px";
    tip.style.top = (r.bottom - box.top + 4) + "px";
    tip.hidden = false;
  }
  function hideTip() { if (tip) { tip.hidden = true; } }
  Array.prototype.forEach.call(document.querySelectorAll("svg.timeline .lane"), function (lane) {
    lane.addEventListener("mouseenter", function (evt) { showTip(lane, evt); });
    lane.addEventListener("mousemove", function (evt) { showTip(lane, evt); });
    lane.addEventListener("mouseleave", hideTip);
    lane.addEventListener("focus", function () { showTip(lane, null); });
    lane.addEventListener("blur", hideTip);
  });

  if (video) {
    var frame = null;
    var follow = function () { show(video.currentTime); frame = video.paused ? null : requestAnimationFrame(follow); };
    video.addEventListener("play", function () { if (frame === null) { frame = requestAnimationFrame(follow); } });
    video.addEventListener("timeupdate", function () { show(video.currentTime); });
    video.addEventListener("seeked", function () { show(video.currentTime); });
    video.addEventListener("error", function () {
      var note = document.getElementById("video-note");
      if (note) { note.hidden = false; }
    });
  }
  show(0);
})();
