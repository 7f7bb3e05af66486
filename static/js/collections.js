// Hailuo Studio's collections: Select mode (checkboxes on cards, shift-click for a range, a live
// count, the bulk bar's actions), the "Add to board" dialog, and focus after a board's clips move
// (drag_order.js drags them). Event delegation throughout, as in studio.js, so cards swapped in
// by htmx need nothing done to them. The server decides everything; this only gathers what was
// chosen.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // --- Select mode ------------------------------------------------------------------------

  const selected = new Set(); // clip ids, kept across live updates that redraw a card
  let lastClicked = null; // the id a shift-click ranges from

  const boxes = () => $$("input[data-select]");
  const selecting = () => document.body.hasAttribute("data-selecting");

  function selectedIds() {
    return boxes().filter((box) => selected.has(box.value)).map((box) => box.value);
  }

  function say(words, isError = false) {
    const status = $("#bulk-status");
    if (!status) return;
    const line = document.createElement("p");
    line.textContent = words;
    if (isError) line.className = "error";
    status.replaceChildren(line);
  }

  // Ticks follow `selected`; ids whose cards left the page (deleted, filtered away) drop out.
  function refreshSelection() {
    const shown = new Set(boxes().map((box) => box.value));
    for (const id of [...selected]) if (!shown.has(id)) selected.delete(id);
    for (const box of boxes()) {
      box.checked = selected.has(box.value);
      box.closest(".card")?.classList.toggle("is-selected", box.checked);
    }
    const count = selected.size;
    const counter = $("[data-selected-count]");
    if (counter) counter.textContent = `${count} selected`;
    // Compare takes 2 to 4 clips; with another count it says why when pressed (see the clicks).
    const compare = $("[data-compare-selection]");
    if (compare) compare.setAttribute("aria-disabled", String(count < 2 || count > 4));
    const remove = $("[data-bulk-delete]");
    if (remove) {
      remove.setAttribute("hx-confirm", `Delete ${count} selected clip${count === 1 ? "" : "s"}? ` +
        "Only clips you may delete are deleted (your own; staff: any); the others are left alone.");
    }
  }

  function setSelecting(on) {
    document.body.toggleAttribute("data-selecting", on);
    const toggle = $("[data-select-mode]");
    if (toggle) {
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Done selecting" : "Select";
    }
    const tools = $("[data-bulk-tools]");
    if (tools) tools.hidden = !on;
    if (!on) {
      selected.clear();
      lastClicked = null;
      $("#bulk-status")?.replaceChildren();
    }
    refreshSelection();
  }

  function tick(box, on) {
    if (on) selected.add(box.value);
    else selected.delete(box.value);
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-select-mode]")) setSelecting(!selecting());

    const box = target.closest("input[data-select]");
    if (box) {
      // The box has already changed: a shift-click gives every box since the last one its state.
      const all = boxes();
      const from = all.findIndex((other) => other.value === lastClicked);
      const to = all.indexOf(box);
      if (event.shiftKey && from >= 0 && to >= 0) {
        const [low, high] = from < to ? [from, to] : [to, from];
        for (const other of all.slice(low, high + 1)) tick(other, box.checked);
      } else {
        tick(box, box.checked);
      }
      lastClicked = box.value;
      refreshSelection();
    }
    if (target.closest("[data-select-all]")) {
      for (const other of boxes()) selected.add(other.value);
      refreshSelection();
      say(`Selected all ${selected.size} clips on this page.`);
    }
    if (target.closest("[data-select-none]")) {
      selected.clear();
      refreshSelection();
    }
    const compare = target.closest("a[data-compare-selection]");
    if (compare) {
      const ids = selectedIds();
      if (ids.length < 2 || ids.length > 4) {
        event.preventDefault();
        say(`Compare shows 2 to 4 clips side by side: select ${ids.length < 2 ? "at least 2" : "at most 4"} (${ids.length} selected).`, true);
      } else {
        const url = new URL(compare.href, location.href);
        url.search = "";
        for (const id of ids) url.searchParams.append("clip", id);
        compare.href = url.href;
      }
    }
    const download = target.closest("[data-download-selected]");
    if (download && !selected.size) {
      event.preventDefault();
      say("Select at least one clip first.", true);
    }
  });

  // A key on a ticked box (Space) also counts: only the change event says so.
  document.addEventListener("change", (event) => {
    const box = event.target instanceof Element ? event.target.closest("input[data-select]") : null;
    if (!box) return;
    tick(box, box.checked);
    refreshSelection();
  });

  // Only the ticked cards' ids go with a bulk action (every box belongs to #bulk-form).
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt.closest?.("[data-bulk-form]");
    if (!form) return;
    event.detail.parameters.ids = selectedIds(); // htmx's parameters take a list as repeats
  });

  // --- "Add to board": one dialog per page, its form fetched for the chosen clips ------------

  let opener = null;

  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-board-picker]") : null;
    if (!link) return;
    const url = new URL(link.href, location.href);
    if ("picksSelection" in link.dataset) {
      const ids = selectedIds();
      if (!ids.length) {
        event.preventDefault();
        say("Select at least one clip first.", true);
        return;
      }
      url.search = "";
      for (const id of ids) url.searchParams.append("ids", id);
      link.href = url.href; // where the link goes if there is no dialog here
    }
    const dialog = $("#board-picker");
    if (!dialog) return; // a page without the dialog: the link opens the step as a page
    event.preventDefault();
    link.closest("details[data-menu]")?.removeAttribute("open");
    opener = link.closest("details[data-menu]")?.querySelector("summary") ?? link;
    htmx.ajax("GET", url.pathname + url.search, { source: link, target: "#board-picker-body", swap: "innerHTML" });
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target?.id === "board-picker-body") {
      const dialog = $("#board-picker");
      if (!dialog.open) dialog.showModal();
      ($("select, input:not([type=hidden])", dialog) ?? $("button", dialog))?.focus();
    }
    refreshSelection();
  });
  // Also after swaps that leave nothing to fire afterSwap on (a card taken off a board).
  for (const name of ["htmx:oobAfterSwap", "htmx:afterRequest"]) {
    document.addEventListener(name, refreshSelection);
  }

  // After "Add to board" (or "Add to reel", in the same dialog) answers, focus goes to what it
  // says (the dialog's new content).
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!["board-picker-form", "reel-picker-form"].includes(event.detail.target?.id)) return;
    const dialog = $("#board-picker");
    const focusable = $("[aria-invalid=true]", dialog) ?? $("a.button, button.primary", dialog);
    focusable?.focus();
  });

  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element) || !event.target.closest("[data-close-dialog]")) return;
    event.target.closest("dialog")?.close();
  });
  document.addEventListener("close", (event) => {
    if (event.target.id !== "board-picker") return;
    $("#board-picker-body").replaceChildren();
    if (opener?.isConnected) opener.focus();
    opener = null;
  }, true);

  // --- A board in the team's order: dragging a clip by its handle is drag_order.js's (Move up /
  // Move down are the keyboard's way, and keep focus by their ids as htmx redraws the list) ----

  // A clip moved off this page by "Move up"/"Move down" takes its focused button with it:
  // focus then goes to the status that says where it went.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target?.id !== "board-items" && event.detail.elt?.id !== "board-items") return;
    if (document.activeElement === document.body) $("#board-status")?.focus();
  });

  document.addEventListener("DOMContentLoaded", refreshSelection);
})();
