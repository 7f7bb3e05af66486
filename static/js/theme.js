// The member's colour theme (light, dark, or the system's), kept in this browser. Loaded before
// the stylesheet so the page never flashes the other theme; studio.js runs the switch.
"use strict";
(() => {
  const chosen = localStorage.getItem("studio-theme");
  if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
})();
