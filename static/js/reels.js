// A reel's page: drag a shot by its handle into a new place (Move up / Move down are the
// keyboard's way, and keep focus by their ids as htmx redraws the list). The server decides the
// order; this only sends the shots' ids as they lie after the drop. Event delegation, so a list
// swapped in by htmx needs nothing done to it.
"use strict";

(() => {
  let dragged = null;
  let orderBefore = "";

  const order = (list) => Array.from(list.querySelectorAll(":scope > .shot"), (shot) => shot.dataset.shot);

  document.addEventListener("dragstart", (event) => {
    const handle = event.target instanceof Element ? event.target.closest("[data-shot-handle]") : null;
    if (!handle) return;
    dragged = handle.closest(".shot");
    orderBefore = order(dragged.parentElement).join();
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.shot);
    event.dataTransfer.setDragImage(dragged, 24, 24);
    dragged.classList.add("dragging");
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = event.target instanceof Element ? event.target.closest(".shot") : null;
    if (!over || over.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (over === dragged) return;
    const shots = Array.from(over.parentElement.querySelectorAll(":scope > .shot"));
    if (shots.indexOf(dragged) < shots.indexOf(over)) over.after(dragged);
    else over.before(dragged);
  });

  document.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const list = dragged.parentElement;
    dragged.classList.remove("dragging");
    dragged = null;
    if (!list?.dataset.arrange || order(list).join() === orderBefore) return;
    htmx.ajax("POST", list.dataset.arrange, {
      source: list,
      target: "#reel-shots",
      swap: "outerHTML",
      values: { ids: order(list) },
    });
  });

  // A shot redrawn away from under the focused button: focus goes to the words saying where.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target?.id !== "reel-shots" && event.detail.elt?.id !== "reel-shots") return;
    if (document.activeElement === document.body) document.getElementById("shot-words")?.focus();
  });
})();
