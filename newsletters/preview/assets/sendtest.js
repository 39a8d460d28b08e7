// The issue page's "Send a test" form: posts JSON with the page's session token, shows the result.
"use strict";
(function () {
  const form = document.getElementById("send-test");
  if (!form) return;
  const button = document.getElementById("send-test-button");
  const result = document.getElementById("send-test-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    result.className = "";
    result.textContent = "Sending…";
    try {
      const response = await fetch(form.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Preview-Token": form.dataset.token },
        body: JSON.stringify({ to: form.elements.to.value }),
      });
      const answer = response.headers.get("Content-Type") === "application/json"
        ? await response.json()
        : { ok: false, lines: ["The preview refused the request; reload the page."] };
      result.replaceChildren(...answer.lines.map((line) => {
        const item = document.createElement("p");
        item.textContent = line;
        return item;
      }));
      result.className = answer.ok ? (answer.draft ? "sent draft" : "sent") : "failed";
    } catch (error) {
      result.textContent = "The preview is not answering; is it still running?";
      result.className = "failed";
    } finally {
      button.disabled = false;
    }
  });
})();
