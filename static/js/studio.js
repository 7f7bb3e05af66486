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

// --- Live gallery: htmx asks (#gallery-live) and swaps changed cards out of band -------------
// (studio.html#live and #updates). Left here is what htmx can't judge on its own.

const RUNNING = new Set(["waiting", "submitted", "processing"]);

function matchesStatusFilter(card) {
  const wanted = $("#gallery-filters select[name=status]")?.value;
  if (!wanted) return true;
  const status = card.dataset.status;
  return wanted === "running" ? RUNNING.has(status) : status === wanted;
}

function isPlaying(video) {
  return Boolean(video) && (!video.paused || video.currentTime > 0);
}

document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target, fragment } = event.detail;
  // An outerHTML swap hands over a fragment holding the card; a "delete" the tombstone itself.
  const incoming = fragment.firstElementChild ?? fragment;
  if (target.id === "gallery-new") {
    // A card this page doesn't show: a teammate's new clip goes on top if the status filter
    // lets it through; a deleted or filtered-out one is nothing to this page.
    const wanted = !("deleted" in incoming.dataset) && matchesStatusFilter(incoming);
    if (document.getElementById(incoming.id) || !wanted) {
      event.detail.shouldSwap = false;
    } else {
      const spot = document.createElement("div"); // htmx swaps the card in for it, on top
      event.detail.target = $("#gallery-cards").insertAdjacentElement("afterbegin", spot);
      $("#gallery-empty")?.remove();
    }
  } else if (!("deleted" in incoming.dataset) && isPlaying(target.querySelector("video"))) {
    event.detail.shouldSwap = false; // a clip someone has started keeps playing
  }
});

// A hidden tab asks nothing; it asks at once when shown again (hx-trigger's visibilitychange).
document.addEventListener("htmx:confirm", (event) => {
  if (event.target.id === "gallery-live" && document.hidden) event.preventDefault();
});

// Logged out meanwhile (the ask was sent to the login page, or refused): stop asking.
document.addEventListener("htmx:afterRequest", (event) => {
  const { elt, xhr, pathInfo } = event.detail;
  if (elt.id !== "gallery-live" || !xhr.responseURL) return;
  if (xhr.status === 403 || new URL(xhr.responseURL).pathname !== pathInfo.requestPath) elt.remove();
});

document.addEventListener("htmx:afterSwap", (event) => {
  refreshForm();
  if (event.detail.target?.id === "gallery-cards") $("#gallery-empty")?.remove();
});
document.addEventListener("DOMContentLoaded", () => {
  refreshForm();
  tickElapsed();
});

// Plain forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
