// Hailuo Studio's Compare page (templates/generations/compare.html): one control bar plays,
// pauses and seeks every clip at once and keeps them in step. The longest clip leads; the others
// follow its clock, are put back in step when they drift, and wait for one that is still loading.
// Without this script each video keeps its own controls.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const DRIFT_S = 0.15; // a clip further than this from the leader is put back in step
  const END_S = 0.05; // this near its end a clip counts as finished
  const NEAR_END_S = 0.5; // this near its end a clip never holds the others up

  function setUp(grid, bar) {
    const videos = $$("video[data-compare-video]", grid);
    const play = $("[data-compare-play]", bar);
    const seek = $("[data-compare-seek]", bar);
    const time = $("[data-compare-time]", bar);
    const status = $("[data-compare-status]", bar);
    bar.hidden = false;
    if (!videos.length) {
      status.textContent = "None of these clips is ready to play yet: reload this page when they are.";
      return;
    }
    for (const video of videos) video.controls = false;

    let playing = false;
    let timer = 0;

    const length = (video) => (Number.isFinite(video.duration) ? video.duration : 0);
    const leader = () => videos.reduce((best, video) => (length(video) > length(best) ? video : best));
    const total = () => length(leader());
    const position = () => leader().currentTime;
    const timeIn = (video, moment) => Math.min(moment, length(video) || moment);
    const hasTimeLeft = (video, moment) => !video.error && timeIn(video, moment) < length(video) - END_S;

    function show() {
      const moment = position();
      const whole = total();
      seek.value = whole ? String(Math.round((moment / whole) * 1000)) : "0";
      seek.setAttribute("aria-valuetext", `${moment.toFixed(1)} of ${whole.toFixed(1)} seconds`);
      time.textContent = `${moment.toFixed(1)} / ${whole.toFixed(1)} s`;
      play.textContent = playing ? "Pause all" : "Play all";
    }

    // Every clip to `moment` (or its own end); `exact` also moves those only slightly off.
    function alignTo(moment, exact) {
      for (const video of videos) {
        if (video.readyState === HTMLMediaElement.HAVE_NOTHING) continue; // starts in step anyway
        const wanted = timeIn(video, moment);
        const off = Math.abs(video.currentTime - wanted);
        if (exact ? off > 0.01 : off > DRIFT_S && !video.seeking) video.currentTime = wanted;
      }
    }

    // While playing, a few times a second: a clip that ran out of data holds the others (it keeps
    // loading); once every clip with time left can play, all go on from one moment, and any that
    // drifted is put back in step. A clip past its own end rests there.
    function keepInStep() {
      if (!playing) return;
      const moment = position();
      const due = videos.filter((video) => hasTimeLeft(video, moment));
      // Near its end a clip has no "future data" to have: only a clip with more to load waits.
      const behind = due.filter(
        (video) =>
          video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA &&
          length(video) - video.currentTime > NEAR_END_S,
      );
      if (behind.length) {
        for (const video of due) {
          if (behind.includes(video)) {
            if (video.paused) video.play().catch(() => {}); // asking to play makes it load
          } else {
            video.pause();
          }
        }
        return;
      }
      // Not to the hundredth after a hold: a seek would make a clip load, and hold them all, again.
      alignTo(moment, false);
      for (const video of videos) {
        if (!due.includes(video)) {
          video.pause();
        } else if (video.paused) {
          if (video.ended) video.currentTime = timeIn(video, moment); // else play() restarts it
          video.play().catch(() => {});
        }
      }
      show();
    }

    function playAll() {
      let moment = position();
      if (moment >= total() - END_S) moment = 0; // at the end: from the start
      alignTo(moment, true);
      playing = true;
      keepInStep();
      clearInterval(timer);
      timer = setInterval(keepInStep, 200);
      show();
    }

    function pauseAll() {
      playing = false;
      clearInterval(timer);
      for (const video of videos) video.pause();
      alignTo(position(), true);
      show();
    }

    play.addEventListener("click", () => (playing ? pauseAll() : playAll()));
    seek.addEventListener("input", () => {
      alignTo((Number(seek.value) / 1000) * total(), true);
      keepInStep();
      show();
    });

    for (const video of videos) {
      // A click on any clip is the bar's Play/Pause (the videos have no controls of their own).
      video.addEventListener("click", () => (playing ? pauseAll() : playAll()));
      video.addEventListener("loadedmetadata", () => {
        play.disabled = seek.disabled = false;
        if (!playing) alignTo(position(), true);
        show();
      });
      // The clip held up for is ready: the others go on at once, before it runs ahead of them.
      video.addEventListener("canplay", keepInStep);
      video.addEventListener("timeupdate", () => {
        if (video === leader()) show();
      });
      video.addEventListener("ended", () => {
        if (video === leader()) pauseAll();
      });
      video.addEventListener("error", () => {
        status.textContent = "One of the clips could not be loaded; the others still play.";
      });
      if (video.readyState >= HTMLMediaElement.HAVE_METADATA) play.disabled = seek.disabled = false;
    }
    show();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const grid = $("[data-compare]");
    const bar = $("[data-compare-controls]");
    if (grid && bar) setUp(grid, bar);
  });
})();
