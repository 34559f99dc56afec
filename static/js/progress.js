// Progress bars: <div class="progress" data-progress-url="..." data-reload-when-done> polls a job's JSON.
(function () {
  function poll(box) {
    var bar = box.querySelector(".progress-bar"), label = box.querySelector(".progress-label");
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.style.width = job.percent + "%";
        bar.setAttribute("aria-valuenow", job.percent);
        label.textContent = job.state_label + " " + job.done + " / " + job.total + (job.error ? " · " + job.error : "");
        box.dataset.state = job.state;
        if (job.state === "done" || job.state === "failed") {
          if (box.hasAttribute("data-reload-when-done")) { window.location.reload(); }
          return;
        }
        setTimeout(function () { poll(box); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(box); }, 3000); });
  }
  document.querySelectorAll(".progress[data-progress-url]").forEach(function (box) {
    var bar = box.querySelector(".progress-bar");
    bar.style.width = bar.getAttribute("aria-valuenow") + "%";  // no style attribute: the CSP forbids them
    poll(box);
  });
})();
