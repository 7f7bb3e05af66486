// The submit-to-playable benchmark's clock, added to each of its tabs before the studio's own
// scripts (Playwright's add_init_script). It notes, with Date.now() (the machine's clock, which
// the studio's processes share), when the member pressed Generate and when each card first
// showed in the gallery, first became playable and first showed its poster; the benchmark reads
// window.__cardClock afterwards. Events, not polling, so each moment is exact to the event.
(() => {
  const clock = { submits: [], cards: {} };
  window.__cardClock = clock;

  // Playable: the clip's metadata is loaded (the card without a poster preloads it), or the
  // poster's play button is shown (the card with one loads nothing until it is pressed).
  const playButton = (card) => {
    const button = card.querySelector("[data-play]");
    return button && button.checkVisibility() ? button : null;
  };
  const playable = (card) => {
    const video = card.querySelector("video");
    return Boolean(video && video.getAttribute("src") && video.readyState >= 1) || Boolean(playButton(card));
  };

  const look = () => {
    const now = Date.now();
    for (const card of document.querySelectorAll("#gallery-cards article.card[id^='gen-']")) {
      if ("deleted" in card.dataset) continue;
      const seen = (clock.cards[card.id] ??= { shown: now, playable: null, poster: null });
      if (seen.playable === null && playable(card)) seen.playable = now;
      if (seen.poster === null && playButton(card)) seen.poster = now;
    }
  };

  // Capture phase: runs before htmx's own submit handler turns the submit into its request.
  document.addEventListener("submit", (event) => {
    const prompt = event.target.querySelector("[name=prompt]");
    if (prompt) clock.submits.push({ at: Date.now(), prompt: prompt.value });
  }, true);
  // Media events do not bubble, but a capturing listener on the document hears them.
  for (const name of ["loadedmetadata", "loadeddata", "canplay"]) document.addEventListener(name, look, true);
  new MutationObserver(look).observe(document, { childList: true, subtree: true, attributes: true });
  // A safety net for anything no event announces (a button shown by a style change).
  setInterval(look, 100);
})();
