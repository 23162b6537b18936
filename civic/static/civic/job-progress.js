// A background job's progress followed in place (civic/progress.py). Without this script the page
// offers an "Actualiser" link; with it, every data-job-poll seconds the same page is fetched again
// and each running job block's bar and status are updated where they stand: no reload, no focus
// moved, the status (role=status, aria-live=polite) announces the change. Once the fetched page
// shows a job over, its block shows the final state and a link to the result, and polling stops;
// after a few failed fetches it stops too and the "Actualiser" link stays.
"use strict";

(() => {
  const MAX_FAILURES = 3;
  let blocks = Array.from(document.querySelectorAll("[data-job-poll]"));
  if (blocks.length === 0 || !window.fetch || !window.DOMParser) {
    return;
  }
  const delays = blocks.map((block) => Number(block.dataset.jobPoll)).filter((s) => s > 0);
  const delay = 1000 * (delays.length ? Math.min(...delays) : 2);
  const sentences = Array.from(document.querySelectorAll("[data-job-live-text]"));
  const noScriptText = sentences.map((sentence) => sentence.textContent);
  let failures = 0;

  const sentencesLive = (live) => {
    sentences.forEach((sentence, index) => {
      sentence.textContent = live ? sentence.dataset.jobLiveText : noScriptText[index];
    });
  };

  const imported = (node) => Array.from(node.childNodes, (child) => document.importNode(child, true));

  const update = (block, fresh) => {
    const status = block.querySelector("[data-job-status]");
    const freshStatus = fresh.querySelector("[data-job-status]");
    // The same words again would be announced again: only a change is written.
    if (status && freshStatus && status.textContent !== freshStatus.textContent) {
      status.replaceChildren(...imported(freshStatus));
    }
    const bar = block.querySelector("progress");
    const freshBar = fresh.querySelector("progress");
    if (bar && freshBar) {
      for (const name of ["max", "value"]) {
        const value = freshBar.getAttribute(name);
        if (value === null) {
          bar.removeAttribute(name);
        } else if (bar.getAttribute(name) !== value) {
          bar.setAttribute(name, value);
        }
      }
      bar.textContent = freshBar.textContent;
    } else if (bar) {
      bar.remove();
    } else if (freshBar && status) {
      status.after(document.importNode(freshBar, true));
    }
  };

  const finish = (block) => {
    const result = block.querySelector("[data-job-result]");
    const refresh = block.querySelector("[data-job-refresh]");
    if (result) {
      result.hidden = false;
    }
    if (refresh && !refresh.contains(document.activeElement)) {
      refresh.hidden = true;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
      if (!response.ok || response.redirected) {
        throw new Error(`job page answered ${response.status}`);
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const running = [];
      for (const block of blocks) {
        const fresh = page.getElementById(block.id);
        if (!fresh) {
          throw new Error(`job block ${block.id} missing`);
        }
        update(block, fresh);
        if (fresh.hasAttribute("data-job-poll")) {
          running.push(block);
        } else {
          finish(block);
        }
      }
      blocks = running;
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures >= MAX_FAILURES) {
        sentencesLive(false); // the page no longer follows the job: the link is the way
        return;
      }
    }
    if (blocks.length > 0) {
      later();
    }
  };

  // A tab in the background asks nothing; it catches up when shown again.
  const later = () => {
    window.setTimeout(() => {
      if (!document.hidden) {
        poll();
        return;
      }
      document.addEventListener("visibilitychange", poll, { once: true });
    }, delay);
  };

  sentencesLive(true);
  later();
})();
