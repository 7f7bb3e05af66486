// A reel's page: after its shots are redrawn (dragged by drag_order.js, or moved by Move up /
// Move down, the keyboard's way, which keep focus by their ids as htmx redraws the list), a shot
// redrawn away from under the focused button sends focus to the words saying where.
"use strict";

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target?.id !== "reel-shots" && event.detail.elt?.id !== "reel-shots") return;
  if (document.activeElement === document.body) document.getElementById("shot-words")?.focus();
});
