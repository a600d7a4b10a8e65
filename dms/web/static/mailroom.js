// Poststelle: work the review queue with the keyboard alone. Every action is an ordinary
// link or form button in the page (data-shortcut="..."), so the page works without this file.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-page-card]"));
  var selected = 0;

  function select(index) {
    if (!cards.length) return;
    selected = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach(function (card, i) { card.classList.toggle("is-selected", i === selected); });
    cards[selected].scrollIntoView({ block: "nearest" });
  }

  function shortcut(key, scope) {
    return (scope || document).querySelector('[data-shortcut="' + key + '"]');
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function activate(element) {
    if (!element) return false;
    if (element.tagName.toLowerCase() === "a") { window.location.href = element.href; return true; }
    if (element.tagName.toLowerCase() === "button") { element.click(); return true; }
    element.focus();
    return true;
  }

  select(0);
  cards.forEach(function (card, i) {
    card.addEventListener("click", function () { select(i); });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    var key = event.key;
    var done = false;
    if (key === "Enter") {
      // Enter on a focused link or button keeps its own meaning.
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "a" || tag === "button" || tag === "summary") return;
      done = activate(shortcut("enter"));
    } else if (key === "ArrowRight" && cards.length) { select(selected + 1); done = true; }
    else if (key === "ArrowLeft" && cards.length) { select(selected - 1); done = true; }
    else if (/^[1-9]$/.test(key) && cards.length) { select(parseInt(key, 10) - 1); done = true; }
    else if (key === "r" || key === "R" || key === "s" || key === "[" || key === "]") {
      done = activate(cards.length ? shortcut(key, cards[selected]) : null);
    } else if (key === "j" || key === "k" || key === "m" || key === "u" ||
               key === "o" || key === "v" || key === "a") {
      done = activate(shortcut(key));
    }
    if (done) event.preventDefault();
  });
})();
