// A small enhancement: resend countdowns tick (the code page, and each unconfirmed contact). Without JavaScript the
// page already says when, and the button is enabled on the next load.
(function () {
  var ru = document.documentElement.lang === "ru";
  document.querySelectorAll("[data-resend-at]").forEach(function (el) {
    var at = Date.parse(el.getAttribute("data-resend-at"));
    var button = el.parentNode.querySelector("button");
    var wait = el.getAttribute("data-wait") ||
      (ru ? "Отправить код ещё раз можно через {s} с" : "You can resend the code in {s} s");
    var ready = el.getAttribute("data-ready") || (ru ? "Можно отправить код ещё раз" : "You can send the code again");
    function tick() {
      var left = Math.ceil((at - Date.now()) / 1000);
      if (left > 0) {
        el.textContent = wait.replace("{s}", left);
        button.disabled = true;
        setTimeout(tick, 1000);
      } else {
        el.textContent = ready;
        button.disabled = false;
      }
    }
    tick();
  });
})();
