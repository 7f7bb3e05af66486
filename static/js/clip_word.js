// Word when a clip is done. While the member's clips run, the tab's title counts them ("(2)
// Hailuo Studio"); when one of theirs becomes ready or fails (the live gallery swaps its card),
// the title and the icon say so until the tab is looked at: at once when it comes back into view,
// or, when the member was looking already, at their next click or key. With "Tell me when my clips
// are done" on (remembered for the member; the browser's permission is asked for only then), a
// notification names a clip that finishes while the member is away from the tab, and opens it.
"use strict";

(() => {
  const script = document.currentScript;
  const me = script?.dataset.member;
  const RUNNING = new Set(["waiting", "submitted", "processing"]);
  const DENIED = "Your browser blocks notifications from the studio, so this stays off: allow them in the browser's settings for this site, then switch it on again.";
  const baseTitle = document.title;
  const icon = document.querySelector('link[rel~="icon"]');
  const icons = { plain: icon?.getAttribute("href"), done: script?.dataset.iconDone, failed: script?.dataset.iconFailed };
  const statuses = new Map(); // the member's cards: id → status when last seen
  const word = { ready: 0, failed: 0 };
  let running = 0;
  let awaitingLook = false;

  function showWord() {
    const words = [];
    if (word.ready) words.push(word.ready === 1 ? "Clip ready" : `${word.ready} clips ready`);
    if (word.failed) words.push(word.failed === 1 ? "Clip failed" : `${word.failed} clips failed`);
    const count = running ? `(${running}) ` : "";
    document.title = `${count}${words.length ? `${words.join(", ")} · ` : ""}${baseTitle}`;
    const shown = word.failed ? icons.failed : word.ready ? icons.done : icons.plain;
    if (icon && shown && icon.getAttribute("href") !== shown) icon.setAttribute("href", shown);
  }

  function scan() {
    const seen = new Set();
    running = 0;
    for (const card of document.querySelectorAll("#gallery-cards > .card[data-owner][data-status]")) {
      if (card.dataset.owner !== me) continue;
      const status = card.dataset.status;
      const before = statuses.get(card.id);
      seen.add(card.id);
      statuses.set(card.id, status);
      if (RUNNING.has(status)) running += 1;
      else if (RUNNING.has(before) && (status === "completed" || status === "failed")) finished(card, status);
    }
    for (const id of statuses.keys()) if (!seen.has(id)) statuses.delete(id); // deleted, or filtered out
    showWord();
  }

  function lookingNow() {
    return !document.hidden && document.hasFocus();
  }

  function finished(card, status) {
    word[status === "completed" ? "ready" : "failed"] += 1;
    notify(card, status);
    if (awaitingLook) return;
    awaitingLook = true;
    const events = lookingNow() ? ["pointerdown", "keydown"] : ["pointerdown", "keydown", "focus", "visibilitychange"];
    const looked = () => {
      if (document.hidden) return;
      for (const name of events) window.removeEventListener(name, looked, true);
      awaitingLook = false;
      word.ready = word.failed = 0;
      showWord();
    };
    for (const name of events) window.addEventListener(name, looked, true);
  }

  // --- Notifications ------------------------------------------------------------------------

  const box = document.querySelector("[data-notify-switch]");
  const toggle = box?.querySelector("[data-notify-when-done]");
  const note = box?.querySelector("[data-notify-note]");
  const canNotify = "Notification" in window;

  function notify(card, status) {
    if (!toggle?.checked || !canNotify || Notification.permission !== "granted" || lookingNow()) return;
    const link = card.querySelector(".prompt a");
    const words = (link?.textContent || "").trim().split(/\s+/);
    const name = words.slice(0, 8).join(" ") + (words.length > 8 ? "…" : "");
    try {
      const shown = new Notification(status === "completed" ? "Clip ready" : "Clip failed", {
        body: `“${name}”`, tag: card.id, icon: status === "completed" ? icons.done : icons.failed,
      });
      shown.addEventListener("click", () => {
        window.focus();
        if (link) location.assign(link.href);
        shown.close();
      });
    } catch {
      // Some phones show notifications only through a service worker: the title still says it.
    }
  }

  function say(words) {
    if (note) note.textContent = words;
  }

  async function remember(on) {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    try {
      const answer = await fetch(toggle.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ notify_when_done: on ? "on" : "off" }),
      });
      if (!answer.ok) throw new Error(`the studio answered ${answer.status}`);
      return true;
    } catch {
      toggle.checked = !on;
      say("The studio could not save that choice: try again in a moment.");
      return false;
    }
  }

  async function switched() {
    if (!toggle.checked) {
      if (await remember(false)) say("");
      return;
    }
    let permission = Notification.permission;
    if (permission === "default") permission = await Notification.requestPermission();
    if (permission !== "granted") {
      toggle.checked = false;
      say(DENIED);
      return;
    }
    if (await remember(true)) say("You'll get a notification when one of your clips is done while you're away from this tab.");
  }

  if (toggle && canNotify) {
    box.hidden = false;
    if (toggle.checked && Notification.permission !== "granted") {
      // On for the member, but this browser may not show them (yet): it stays off here.
      toggle.checked = false;
      say(Notification.permission === "denied" ? DENIED : "On for your account, but this browser hasn't been allowed to show notifications: switch it on to allow them.");
    }
    toggle.addEventListener("change", switched);
  }

  const gallery = document.querySelector("#gallery-cards");
  if (gallery && me) {
    new MutationObserver(scan).observe(gallery, { childList: true });
    scan();
  }
})();
