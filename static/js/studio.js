// Hailuo Studio: the few behaviours htmx doesn't cover. Event delegation throughout, so
// fragments swapped in by htmx (a remixed form, new cards) work without re-initialising.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
const narrowScreen = window.matchMedia("(max-width: 900px)");

// --- The form: character counter, 1080p/10 s rule, credit estimate --------------------------

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
  // Several clips (takes) are each billed: "4 clips · about 20 credits".
  const takes = Number($("input[name=takes]:checked", form)?.value || 1);
  const price = prices[`${resolution}-${duration}`];
  if (estimate) estimate.textContent = price === undefined ? "?" : price * takes;
  const takesWords = $("[data-estimate-takes]", form);
  if (takesWords) takesWords.textContent = takes > 1 ? `${takes} clips · about ` : "";
}

// --- The first frame: a preview, and the checks that need no server -------------------------

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);
const DROP_TEXT = "Drop a JPG, PNG or WebP here, or click to choose one.";

function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

function imageProblem(form, file, width, height) {
  const minSide = Number(form.dataset.minShortSide || 0);
  const maxBytes = Number(form.dataset.maxBytes || Infinity);
  if (file.size > maxBytes) {
    return `The image is ${fileSize(file.size)}; the limit is ${fileSize(maxBytes)}.`;
  }
  if (Math.min(width, height) < minSide) {
    return `The image is ${width}×${height} px; its shorter side must be at least ${minSide} px.`;
  }
  const aspect = width / height;
  if (aspect < 2 / 5 || aspect > 5 / 2) {
    return `The image is ${width}×${height} px, a ${aspect.toFixed(2)}:1 shape; it must be between 2:5 (tall) and 5:2 (wide).`;
  }
  return "";
}

function showImageProblem(form, message) {
  const slot = $("#errors-image", form);
  if (slot) slot.replaceChildren(...(message ? [Object.assign(document.createElement("p"), { textContent: message })] : []));
}

// Another image (or none) instead of a remixed clip's first frame or a continued clip's last one:
// the new clip no longer continues that clip.
function dropReusedImage(form) {
  for (const input of $$("[data-reuse-image]", form)) input.value = "";
  for (const label of $$("[data-continuing]", form)) label.hidden = true;
}

function showPreview(form, file) {
  const preview = $("[data-preview]", form);
  const text = $("[data-dropzone-text]", form);
  const clear = $("[data-clear-image]", form);
  // Whatever was shown for an earlier choice goes first: its name, size and picture.
  preview.onload = preview.onerror = null;
  preview.removeAttribute("src");
  preview.hidden = true;
  showImageProblem(form, "");
  if (!file) {
    text.textContent = DROP_TEXT;
    clear.hidden = true;
    return;
  }
  clear.hidden = false;
  dropReusedImage(form);
  text.textContent = `${file.name} · ${fileSize(file.size)}`;
  if (!IMAGE_TYPES.has(file.type)) {
    showImageProblem(form, `“${file.name}” is not a JPG, PNG or WebP image: choose one of those.`);
    return;
  }
  preview.onload = () => {
    const { naturalWidth: width, naturalHeight: height } = preview;
    text.textContent = `${file.name} · ${width}×${height} px · ${fileSize(file.size)}`;
    preview.hidden = false;
    showImageProblem(form, imageProblem(form, file, width, height));
  };
  preview.onerror = () => {
    showImageProblem(form, "This file is not an image the studio can read: use JPG, PNG or WebP.");
  };
  preview.src = URL.createObjectURL(file);
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

// --- Folding panels: the form and the menu on small screens; card menus -----------------------

function setOpen(toggle, panel, open) {
  panel.toggleAttribute("data-open", open);
  toggle.setAttribute("aria-expanded", String(open));
}

function openCompose(open) {
  const compose = $("#compose");
  const toggle = $("[data-compose-toggle]");
  if (compose && toggle) setOpen(toggle, compose, open);
}

function closeMenus(except = null) {
  for (const menu of $$("details[data-menu][open]")) if (menu !== except) menu.open = false;
}

// --- Clicks -------------------------------------------------------------------------------

document.addEventListener("click", async (event) => {
  const target = event.target;
  closeMenus(target.closest("details[data-menu]"));

  if (target.closest("[data-compose-toggle]")) {
    const open = !$("#compose").hasAttribute("data-open");
    openCompose(open);
    if (open) $("#id_prompt")?.focus();
  }
  const navToggle = target.closest("[data-nav-toggle]");
  if (navToggle) {
    const nav = $("#site-nav");
    setOpen(navToggle, nav, !nav.hasAttribute("data-open"));
  }
  if (target.closest("[data-theme-switch]")) cycleTheme();

  const clear = target.closest("[data-clear-image]");
  if (clear) {
    const form = clear.closest("form");
    $("input[type=file]", form).value = "";
    dropReusedImage(form);
    showPreview(form, null);
  }
  const play = target.closest("[data-play]");
  if (play) {
    // The poster is a lazy image over a video that loads nothing until asked.
    const video = play.parentElement.querySelector("video");
    play.hidden = true;
    video.removeAttribute("tabindex");
    video.focus();
    video.play();
  }
  const copy = target.closest("[data-copy]");
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

// --- Keys: Ctrl/Cmd+Enter generates, Escape closes what opened, arrows step through clips -----

function typingIn(element) {
  return element?.closest("input, textarea, select, video, [contenteditable]");
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    const form = event.target.closest?.("#studio-form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  if (event.key === "Escape") {
    const menu = $("details[data-menu][open]");
    const nav = $("#site-nav[data-open]");
    if (menu) {
      menu.open = false;
      $("summary", menu).focus();
    } else if (nav) {
      setOpen($("[data-nav-toggle]"), nav, false);
      $("[data-nav-toggle]").focus();
    } else if (narrowScreen.matches && $("#compose[data-open]")) {
      openCompose(false);
      $("[data-compose-toggle]").focus();
    }
    return;
  }
  if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && !typingIn(event.target)) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const step = $(event.key === "ArrowLeft" ? "a[data-step=newer]" : "a[data-step=older]");
    if (step) {
      event.preventDefault();
      step.click();
    }
  }
});

// --- Colour theme: the system's, light or dark (theme.js applies it before the first paint) ---

const THEMES = ["system", "light", "dark"];

function showTheme() {
  const button = $("[data-theme-switch]");
  if (!button) return;
  const theme = document.documentElement.dataset.theme || "system";
  $("[data-theme-name]", button).textContent = `Theme: ${theme}`;
  const words = { system: "follow the system", light: "light", dark: "dark" };
  button.setAttribute("aria-label", `Colour theme: ${words[theme]}. Change it`);
}

function cycleTheme() {
  const current = document.documentElement.dataset.theme || "system";
  const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
  if (next === "system") {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem("studio-theme");
  } else {
    document.documentElement.dataset.theme = next;
    localStorage.setItem("studio-theme", next);
  }
  showTheme();
}

// --- Cards: elapsed time and an estimate of progress tick locally, no request needed ---------

function elapsedWords(seconds) {
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function tickCards() {
  const now = Date.now();
  for (const el of $$("[data-elapsed-since]")) {
    el.textContent = elapsedWords(Math.max(0, Math.round((now - Date.parse(el.dataset.elapsedSince)) / 1000)));
  }
  for (const box of $$(".placeholder[data-progress]")) {
    const bar = $("[data-progress-bar]", box);
    const label = $("[data-progress-label]", box);
    const reported = Number(box.dataset.progress);
    if (!bar || !label) continue;
    if (reported > 0) {
      // Apiframe's own figure, from a webhook or a check, replaces the estimate.
      bar.classList.remove("estimate");
      bar.value = reported;
      label.textContent = ` · ${reported}%`;
    } else if (box.dataset.started && Number(box.dataset.expected) > 0) {
      // The studio's guess from how long recent clips took: it never claims to be done.
      const elapsed = (now - Date.parse(box.dataset.started)) / 1000;
      const estimate = Math.max(1, Math.min(95, Math.round((elapsed / Number(box.dataset.expected)) * 100)));
      bar.classList.add("estimate");
      bar.value = estimate;
      label.textContent = ` · about ${estimate}% (estimate)`;
    }
  }
  for (const note of $$(".deleted-card[data-undo-until]")) {
    if (Date.parse(note.dataset.undoUntil) <= now) note.remove();
  }
  for (const note of $$(".notice .undo[data-undo-until]")) {
    if (Date.parse(note.dataset.undoUntil) <= now) note.remove();
  }
}
setInterval(tickCards, 1000);

// --- Live gallery: htmx asks (#gallery-live) and swaps changed cards out of band -------------
// (studio.html#live and #updates). Left here is when to ask, and what htmx can't judge alone.

const RUNNING = new Set(["waiting", "submitted", "processing"]);
const POLL_DUE_MS = 1000; // a clip on screen is about to be ready: show it within a second
const POLL_BUSY_MS = 3000;
const POLL_IDLE_MS = 5000; // a teammate's new clip shows within a few seconds
const DUE_EARLY_S = 2; // start asking often this long before a clip's expected end…
const DUE_LATE_S = 45; // …and keep at it this long after, then back to the busy pace

function pollDelay() {
  const now = Date.now();
  let running = false;
  for (const card of $$("#gallery-cards .card[data-status]")) {
    if (!RUNNING.has(card.dataset.status)) continue;
    running = true;
    if (card.querySelector(".placeholder[data-storing]")) return POLL_DUE_MS;
    const box = card.querySelector(".placeholder[data-started]");
    if (!box) continue;
    if (Number(box.dataset.progress) >= 80) return POLL_DUE_MS; // Apiframe says nearly done
    const left = Date.parse(box.dataset.started) / 1000 + Number(box.dataset.expected) - now / 1000;
    if (left <= DUE_EARLY_S && left >= -DUE_LATE_S) return POLL_DUE_MS;
  }
  return running || $("#gallery-live")?.hasAttribute("data-busy") ? POLL_BUSY_MS : POLL_IDLE_MS;
}

let pollInFlight = false;
function schedulePoll() {
  setTimeout(() => {
    const live = $("#gallery-live");
    if (live && !document.hidden && !pollInFlight) htmx.trigger(live, "poll");
    if (live) schedulePoll();
  }, pollDelay());
}

// Followed on the request itself: an answer with cards replaces #gallery-live, and the events of
// an element no longer in the page never reach the document.
document.addEventListener("htmx:beforeRequest", (event) => {
  const { elt, xhr, requestConfig } = event.detail;
  if (elt.id !== "gallery-live") return;
  pollInFlight = true;
  const asked = new URL(requestConfig.path, location.href).pathname;
  xhr.addEventListener("loadend", () => {
    pollInFlight = false;
    // Logged out meanwhile (the ask was sent to the login page, or refused): stop asking.
    const moved = xhr.responseURL && new URL(xhr.responseURL).pathname !== asked;
    if (xhr.status === 403 || moved) $("#gallery-live")?.remove();
  });
});

// A hidden tab asks nothing; it asks at once when shown again (hx-trigger's visibilitychange).
document.addEventListener("htmx:confirm", (event) => {
  if (event.target.id === "gallery-live" && document.hidden) event.preventDefault();
});

function matchesStatusFilter(card) {
  const wanted = $("#gallery-filters select[name=status]")?.value;
  if (!wanted) return true;
  const status = card.dataset.status;
  return wanted === "running" ? RUNNING.has(status) : status === wanted;
}

function isPlaying(video) {
  return Boolean(video) && (!video.paused || video.currentTime > 0);
}

// Where a card not on this page belongs: newest first, so a clip restored from a delete goes
// back to its place and a new one goes on top.
function spotFor(card) {
  const cards = $("#gallery-cards");
  const created = Date.parse(card.dataset.created);
  const spot = document.createElement("div"); // htmx swaps the card in for it
  const later = $$(":scope > .card[data-created]", cards).find((other) => Date.parse(other.dataset.created) < created);
  if (later) return later.insertAdjacentElement("beforebegin", spot);
  const more = $(":scope > .load-more", cards);
  if (more && cards.querySelector(".card")) return null; // older than this page shows: "load more" finds it
  return cards.insertAdjacentElement(more ? "afterbegin" : "beforeend", spot);
}

document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target, fragment } = event.detail;
  // An outerHTML swap hands over a fragment holding the card; a "delete" the tombstone itself.
  const incoming = fragment.firstElementChild ?? fragment;
  const deleted = "deleted" in incoming.dataset;
  if (target.id === "gallery-new") {
    // A card this page doesn't show: a teammate's new clip goes on top if the status filter
    // lets it through; a deleted or filtered-out one is nothing to this page.
    const spot = deleted || document.getElementById(incoming.id) || !matchesStatusFilter(incoming) ? null : spotFor(incoming);
    if (spot) {
      event.detail.target = spot;
      $("#gallery-empty")?.remove();
    } else {
      event.detail.shouldSwap = false;
    }
  } else if (deleted && "undoUntil" in target.dataset) {
    event.detail.shouldSwap = false; // our own delete: its undo stays for its few seconds
  } else if (!deleted && isPlaying(target.querySelector("video"))) {
    event.detail.shouldSwap = false; // a clip someone has started keeps playing
  }
});

// A card swapped in starts from the server's figures: draw its estimate at once, not a second on.
document.addEventListener("htmx:oobAfterSwap", tickCards);

document.addEventListener("htmx:afterSwap", (event) => {
  refreshForm();
  tickCards();
  const target = event.detail.target;
  // A card of ours on top of "no clips here yet": the message goes.
  if (target?.id === "gallery-cards" && $(".card", target)) $("#gallery-empty")?.remove();
  if (target?.id === "studio-form" || event.detail.elt?.id === "studio-form") {
    // A remix: the form opens on a small screen, with its prompt ready for words.
    openCompose(true);
    $("#compose").scrollIntoView({ block: "start" });
  }
});

// A clip of ours was accepted: on a small screen the form folds away and the new card shows.
document.addEventListener("htmx:afterRequest", (event) => {
  const { elt, successful, xhr } = event.detail;
  if (elt.id !== "studio-form" || !successful || xhr.status !== 200) return;
  // A refusal swaps nothing in (HX-Reswap: none): the form stays open with its words.
  if (xhr.getResponseHeader("HX-Reswap") === "none") return;
  const card = $("#gallery-cards > .card");
  if (!card || !narrowScreen.matches) return;
  openCompose(false);
  card.scrollIntoView({ block: "start" });
});

document.addEventListener("DOMContentLoaded", () => {
  refreshForm();
  tickCards();
  showTheme();
  if (narrowScreen.matches && $("#compose") && $(".form-errors p, .field-errors p", $("#compose"))) openCompose(true);
  if ($("#gallery-live")) schedulePoll();
});

// Plain forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
