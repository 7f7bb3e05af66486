// Drag to reorder, for any list that asks for it in its markup: the list has
// data-drag-order="<the URL that takes the new order>", its items data-drag-id, and each item a
// handle with data-drag-handle (draggable="true"). After a drop that changed the order it posts
// the items' ids as they now lie (`ids`, and the list's data-page if it has one) and swaps the
// server's answer in for the list. The server decides the order; Move up / Move down buttons stay
// the keyboard's way. Event delegation, so a list swapped in by htmx needs nothing done to it.
"use strict";

(() => {
  let dragged = null;
  let orderBefore = "";

  const items = (list) => Array.from(list.querySelectorAll(":scope > [data-drag-id]"));
  const order = (list) => items(list).map((item) => item.dataset.dragId);

  document.addEventListener("dragstart", (event) => {
    const handle = event.target instanceof Element ? event.target.closest("[data-drag-handle]") : null;
    const item = handle?.closest("[data-drag-id]");
    if (!item?.parentElement?.hasAttribute("data-drag-order")) return;
    dragged = item;
    orderBefore = order(dragged.parentElement).join();
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.dragId);
    event.dataTransfer.setDragImage(dragged, 24, 24);
    dragged.classList.add("dragging");
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = event.target instanceof Element ? event.target.closest("[data-drag-id]") : null;
    if (!over || over.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (over === dragged) return;
    const all = items(over.parentElement);
    if (all.indexOf(dragged) < all.indexOf(over)) over.after(dragged);
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
    if (!list?.dataset.dragOrder || order(list).join() === orderBefore) return;
    const values = { ids: order(list) };
    if (list.dataset.page) values.page = list.dataset.page;
    htmx.ajax("POST", list.dataset.dragOrder, { source: list, target: list, swap: "outerHTML", values });
  });
})();
