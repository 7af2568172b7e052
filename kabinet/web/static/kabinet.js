// A small enhancement: the resend countdown ticks. Without JavaScript the page already says when.
(function () {
  var el = document.querySelector("[data-resend-at]");
  if (!el) return;
  var at = Date.parse(el.getAttribute("data-resend-at"));
  var button = el.parentNode.querySelector("button");
  var ru = document.documentElement.lang === "ru";
  function tick() {
    var left = Math.ceil((at - Date.now()) / 1000);
    if (left > 0) {
      el.textContent = ru ? "Отправить код ещё раз можно через " + left + " с" : "You can resend the code in " + left + " s";
      button.disabled = true;
      setTimeout(tick, 1000);
    } else {
      el.textContent = ru ? "Можно отправить код ещё раз" : "You can send the code again";
      button.disabled = false;
    }
  }
  tick();
})();
