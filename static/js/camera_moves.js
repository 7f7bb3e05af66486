// Camera moves beside the prompt (templates/generations/camera_moves.html): a button puts
// "[Pan left]" at the cursor, keeping the focus and the caret in the prompt; with "Together" on it
// joins the bracket just before the cursor, up to three at once. The prompt's counter says how
// many moves the prompt holds, read as generations/camera_moves.py reads them.
"use strict";

(() => {
  const BRACKET = /\[([^[\]]*)\]/g;

  const formOf = (element) => element?.closest?.("#studio-form");

  function knownMoves(form) {
    return new Map(
      Array.from(form.querySelectorAll("[data-camera-move]"), (button) => [button.dataset.cameraMove.toLowerCase(), button.dataset.cameraMove]),
    );
  }

  function mostTogether(form) {
    return Number(form.querySelector("[data-camera-moves]")?.dataset.togetherMax || 3);
  }

  // The moves of one bracket's inside, or none if it is not a camera command.
  function movesIn(inside, known, most) {
    const parts = inside.split(",").map((part) => part.trim().replace(/\s+/g, " "));
    if (parts.length < 1 || parts.length > most || parts.some((part) => !known.has(part.toLowerCase()))) return [];
    return parts;
  }

  function countMoves(text, known, most) {
    let count = 0;
    for (const match of text.matchAll(BRACKET)) count += movesIn(match[1], known, most).length;
    return count;
  }

  function refreshCount(form) {
    const counter = form?.querySelector("[data-camera-move-count]");
    const prompt = form?.querySelector("#id_prompt");
    if (!counter || !prompt) return;
    const count = countMoves(prompt.value, knownMoves(form), mostTogether(form));
    counter.textContent = count ? ` · ${count} camera move${count === 1 ? "" : "s"}` : "";
  }

  function say(form, words) {
    const note = form.querySelector("[data-camera-move-note]");
    if (note) note.textContent = words;
  }

  function insertMove(form, move) {
    const prompt = form.querySelector("#id_prompt");
    const known = knownMoves(form);
    const most = mostTogether(form);
    const { selectionStart: start, selectionEnd: end, value } = prompt;
    const together = form.querySelector("[data-camera-together]")?.getAttribute("aria-pressed") === "true";
    const last = together ? value.slice(0, start).match(/\[([^[\]]*)\]$/) : null;
    const joined = last ? movesIn(last[1], known, most) : [];
    let text, from;
    if (joined.length) {
      if (joined.length >= most) {
        return refuse(form, prompt, `One bracket holds at most ${most} camera moves at once: switch off “Together” to add ${move} after them.`);
      }
      if (joined.some((other) => other.toLowerCase() === move.toLowerCase())) {
        return refuse(form, prompt, `${move} is already in that bracket.`);
      }
      text = `, ${move}]`;
      from = start - 1; // the bracket's "]" makes way for the new move and comes after it
    } else {
      const before = value.slice(0, start);
      const after = value.slice(end);
      text = `${before && !/\s$/.test(before) ? " " : ""}[${move}]${after && !/^[\s,.;:!?]/.test(after) ? " " : ""}`;
      from = start;
    }
    const room = prompt.maxLength > 0 ? prompt.maxLength - (value.length - (end - from)) : Infinity;
    if (text.length > room) {
      return refuse(form, prompt, `The prompt is at its ${prompt.maxLength}-character limit: there is no room for [${move}].`);
    }
    prompt.focus();
    prompt.setRangeText(text, from, end, "end");
    if (text.endsWith(" ") && !joined.length) prompt.setSelectionRange(prompt.selectionEnd - 1, prompt.selectionEnd - 1);
    prompt.dispatchEvent(new Event("input", { bubbles: true })); // studio.js counts the characters
    say(form, joined.length ? `${move} joins ${joined.join(", ")}.` : `${move} added.`);
  }

  function refuse(form, prompt, words) {
    say(form, words);
    prompt.focus();
  }

  // A press on a move (or on "Together") keeps the focus, and a phone's keyboard, in the prompt.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest?.("[data-camera-move], [data-camera-together]")) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const together = event.target.closest?.("[data-camera-together]");
    if (together) together.setAttribute("aria-pressed", String(together.getAttribute("aria-pressed") !== "true"));
    const button = event.target.closest?.("[data-camera-move]");
    const form = formOf(button);
    if (button && form) insertMove(form, button.dataset.cameraMove);
  });

  document.addEventListener("input", (event) => {
    if (event.target.id === "id_prompt") refreshCount(formOf(event.target));
  });

  // A remix or a continuation swaps a new form in.
  document.addEventListener("htmx:afterSwap", () => refreshCount(document.querySelector("#studio-form")));
  document.addEventListener("DOMContentLoaded", () => refreshCount(document.querySelector("#studio-form")));
})();
