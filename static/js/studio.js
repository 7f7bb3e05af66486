// Hailuo Studio: the few behaviours htmx doesn't cover. Event delegation throughout, so
// fragments swapped in by htmx (a remixed form, new cards) work without re-initialising.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// --- The form: character counter, 1080p/10 s rule, credit estimate, first-frame image ---------

function refreshForm() {
  const form = $("#studio-form");
  if (!form) return;
  const prompt = $("#id_prompt", form);
  const counter = $("#prompt-count", form);
  if (prompt && counter) counter.textContent = prompt.value.length;

  const resolution = $("input[name=resolution]:checked", form)?.value;
  const long = $("input[name=duration][value='10']", form);
  const hint = $("[data-duration-hint]", form);
  if (long) {
    const blocked = resolution === "1080p";
    long.disabled = blocked;
    if (blocked && long.checked) $("input[name=duration][value='6']", form).checked = true;
    long.closest("label")?.classList.toggle("disabled", blocked);
    if (hint) hint.hidden = !blocked;
  }
  const duration = $("input[name=duration]:checked", form)?.value;
  const prices = JSON.parse(form.dataset.prices || "{}");
  const estimate = $("[data-estimate]", form);
  if (estimate) estimate.textContent = prices[`${resolution}-${duration}`] ?? "?";
}

function showPreview(form, file) {
  const preview = $("[data-preview]", form);
  const text = $("[data-dropzone-text]", form);
  const clear = $("[data-clear-image]", form);
  if (file) {
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    preview.onload = () => {
      text.textContent = `${file.name} · ${preview.naturalWidth}×${preview.naturalHeight} px · ${(file.size / 1048576).toFixed(1)} MB`;
    };
    clear.hidden = false;
    $("[data-reuse-image]", form).value = "";
  } else {
    preview.removeAttribute("src");
    preview.hidden = true;
    text.textContent = "Drop a JPG, PNG or WebP here, or click to choose one.";
    clear.hidden = true;
  }
}

document.addEventListener("input", (event) => {
  if (event.target.closest("#studio-form")) refreshForm();
});
document.addEventListener("change", (event) => {
  const form = event.target.closest("#studio-form");
  if (!form) return;
  if (event.target.name === "image") showPreview(form, event.target.files[0]);
  refreshForm();
});
document.addEventListener("dragover", (event) => {
  const zone = event.target.closest("[data-dropzone]");
  if (!zone) return;
  event.preventDefault();
  zone.classList.add("dragging");
});
document.addEventListener("dragleave", (event) => {
  event.target.closest("[data-dropzone]")?.classList.remove("dragging");
});
document.addEventListener("drop", (event) => {
  const zone = event.target.closest("[data-dropzone]");
  if (!zone) return;
  event.preventDefault();
  zone.classList.remove("dragging");
  const input = $("input[type=file]", zone);
  input.files = event.dataTransfer.files;
  showPreview(zone.closest("form"), input.files[0]);
});
document.addEventListener("click", async (event) => {
  const clear = event.target.closest("[data-clear-image]");
  if (clear) {
    const form = clear.closest("form");
    $("input[type=file]", form).value = "";
    $("[data-reuse-image]", form).value = "";
    showPreview(form, null);
  }
  const play = event.target.closest("[data-play]");
  if (play) {
    // The poster is a lazy image over a video that loads nothing until asked.
    const video = play.parentElement.querySelector("video");
    play.hidden = true;
    video.play();
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    await copyText(copy.dataset.copy);
    const label = copy.textContent;
    copy.textContent = "Copied";
    setTimeout(() => { copy.textContent = label; }, 1500);
  }
});

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Plain-http addresses other than localhost have no clipboard API.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

// --- Cards: elapsed time ticks locally, no request needed -------------------------------------

function tickElapsed() {
  const now = Date.now();
  for (const el of $$("[data-elapsed-since]")) {
    const seconds = Math.max(0, Math.round((now - Date.parse(el.dataset.elapsedSince)) / 1000));
    el.textContent = seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }
}
setInterval(tickElapsed, 1000);

// --- Live gallery: one small request per tab per interval, upserting changed cards ------------

const RUNNING = new Set(["waiting", "submitted", "processing"]);

function matchesStatusFilter(card) {
  const wanted = $("#gallery-filters select[name=status]")?.value;
  if (!wanted) return true;
  const status = card.dataset.status;
  return wanted === "running" ? RUNNING.has(status) : status === wanted;
}

function upsertCards(html) {
  const container = $("#gallery-cards");
  const incoming = new DOMParser().parseFromString(html, "text/html").body.children;
  for (const card of Array.from(incoming)) {
    const existing = document.getElementById(card.id);
    if (card.tagName !== "ARTICLE") {
      existing?.replaceWith(card); // e.g. the member's usage beside the form
    } else if ("deleted" in card.dataset) {
      existing?.remove();
    } else if (existing) {
      // Keep a started video playing; otherwise a finished clip or its late poster swaps in.
      const video = existing.querySelector("video");
      if (video && (!video.paused || video.currentTime > 0)) continue;
      existing.replaceWith(card);
      htmx.process(card);
    } else if (matchesStatusFilter(card)) {
      container.prepend(card);
      htmx.process(card);
    }
  }
  $("#gallery-empty")?.remove();
}

let pollTimer = null;

function schedulePoll(seconds) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, seconds * 1000);
}

async function poll() {
  const live = $("#gallery-live");
  if (!live) return;
  if (document.hidden) return schedulePoll(Number(live.dataset.poll));
  const params = new URLSearchParams(new FormData($("#gallery-filters")));
  params.set("since", live.dataset.since);
  try {
    const response = await fetch(`${live.dataset.updatesUrl}?${params}`, {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
    if (response.redirected || response.status === 403) return; // Logged out: stop asking.
    if (response.status === 200) {
      upsertCards(await response.text());
      live.dataset.since = response.headers.get("X-Gallery-Since") || live.dataset.since;
      live.dataset.poll = response.headers.get("X-Gallery-Poll") || live.dataset.poll;
    }
  } catch {
    // Offline for a moment: try again at the next interval.
  }
  schedulePoll(Number(live.dataset.poll));
}

// A new card of our own means work is running: look again soon.
document.addEventListener("htmx:afterSwap", (event) => {
  refreshForm();
  if (event.detail.target?.id === "gallery-cards") {
    $("#gallery-empty")?.remove();
    const live = $("#gallery-live");
    if (live) {
      live.dataset.poll = "3";
      schedulePoll(3);
    }
  }
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && $("#gallery-live")) schedulePoll(0.2);
});
document.addEventListener("DOMContentLoaded", () => {
  refreshForm();
  tickElapsed();
  const live = $("#gallery-live");
  if (live) schedulePoll(Number(live.dataset.poll));
});

// Plain forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
