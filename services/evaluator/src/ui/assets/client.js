// @ts-check
// The evaluator web UI's client script (served at /ui/app.js; no framework, no build step). The pages are
// server-rendered; this adds what needs the browser: the playground's streamed replies and scoring, the
// new-run form, a run's live progress, the models' live load, and the API key for this tab.
//
// API calls carry the key from sessionStorage as `Authorization: Bearer`. Event streams are read with
// fetch (EventSource cannot send that header).
(function () {
  "use strict";

  /**
   * JSON the server renders into the page or answers with, as far as this script reads it.
   * @typedef {{ role: string, content: string }} Message
   * @typedef {{ key: string, id: string, dimension: string, messages: Message[], checks: { type: string }[], max_tokens?: number }} PageItem
   * @typedef {{ name: string, color: string }} PageModel
   * @typedef {{ type: string, passed: boolean, detail: string, error?: string }} CheckResult
   * @typedef {{ event: string, data: string, id: string | null }} SseEvent
   * @typedef {{ done: number, total: number, passed: number, errors: number }} ModelProgress
   * @typedef {{ done: number, total: number, errors: number, status?: string, by_model?: Record<string, ModelProgress> }} RunProgress
   * @typedef {{ model: string, item_id: string, status: string, passed: boolean | null, ttft_ms: number, tokens_per_second: number }} ItemEvent
   * @typedef {{ id: string, status: string, done: number, total_items: number, errors: number }} RunRow
   * @typedef {{ name: string, health: string, in_flight: number, concurrency: number, pending_requests: number }} ModelLoad
   */

  var KEY = "evalstack.apiKey";
  var body = document.body;
  var page = body.dataset.page;
  var authOn = body.dataset.auth === "on";

  function apiKey() {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  }
  /** @param {string | null} key */
  function saveKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY, key);
      else sessionStorage.removeItem(KEY);
    } catch {
      /* storage disabled: the pages still work, live updates and actions will ask again */
    }
  }

  /** @param {string} id */
  function $(id) {
    return document.getElementById(id);
  }
  /**
   * An element this page always renders (the server wrote it): a clear error if it is missing.
   * @param {string} id
   */
  function required(id) {
    var node = document.getElementById(id);
    if (!node) throw new Error("the page has no #" + id);
    return node;
  }
  /**
   * The element under `root` that the template always has.
   * @param {ParentNode} root
   * @param {string} selector
   */
  function within(root, selector) {
    var node = root.querySelector(selector);
    if (!(node instanceof HTMLElement)) throw new Error("no " + selector + " in its template");
    return node;
  }
  /**
   * A form control the page rendered (input, select or textarea), for its value.
   * @param {string} id
   */
  function field(id) {
    return /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */ (required(id));
  }
  /**
   * @param {string} id
   * @returns {HTMLButtonElement}
   */
  function button(id) {
    return /** @type {HTMLButtonElement} */ ($(id));
  }
  /**
   * Fills a progress bar (a .progress element whose first child is the fill) to `percent`.
   * @param {Element} bar
   * @param {number} percent
   */
  function fillBar(bar, percent) {
    /** @type {HTMLElement} */ (bar.firstElementChild).style.width = percent.toFixed(1) + "%";
  }
  /**
   * @param {string} tag
   * @param {Record<string, string>} [props]
   * @param {(Node | string)[]} [children]
   */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.entries(props).forEach(function (entry) {
        if (entry[0] === "text") node.textContent = entry[1];
        else if (entry[0] === "class") node.className = entry[1];
        else node.setAttribute(entry[0], entry[1]);
      });
    }
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  /**
   * @param {string} id
   * @returns {any} the JSON the server put in the page's script element
   */
  function jsonData(id) {
    var node = $(id);
    return node ? JSON.parse(node.textContent || "null") : null;
  }
  /** @param {number | null | undefined} ms */
  function fmtMs(ms) {
    if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
    return ms >= 10000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms) + " ms";
  }
  /** @param {number | null | undefined} x */
  function fmtRate(x) {
    return typeof x !== "number" || !Number.isFinite(x) ? "—" : x.toFixed(1);
  }
  /**
   * @param {Element | null} node
   * @param {string} status
   * @param {string} [text]
   */
  function setBadge(node, status, text) {
    if (!node) return;
    node.className = "badge " + status;
    node.textContent = text || status;
  }

  // --- API -------------------------------------------------------------------------------------------

  /**
   * @param {string} path
   * @param {RequestInit} [init]
   */
  async function api(path, init) {
    init = init || {};
    var headers = new Headers(init.headers || {});
    var key = apiKey();
    if (key) headers.set("authorization", "Bearer " + key);
    var res = await fetch(path, Object.assign({}, init, { headers: headers, credentials: "same-origin" }));
    if (res.status === 401) askForKey("The API did not accept this tab's API key: enter it again.");
    return res;
  }

  /** The problem details of a failed answer, as one line (with the fields at fault). */
  /** @param {Response} res */
  async function problemOf(res) {
    try {
      var p = await res.json();
      var fields = (p.errors || []).map(
        /** @param {{ path: string, message: string }} e */ function (e) {
          return e.path + ": " + e.message;
        },
      );
      var detail = p.detail || p.title || "HTTP " + res.status;
      return fields.length && detail.indexOf(fields[0]) < 0 ? detail + " (" + fields.join("; ") + ")" : detail;
    } catch {
      return "HTTP " + res.status;
    }
  }

  /** Reads a text/event-stream body, calling onEvent({event, data, id}) per event, until it ends. */
  /**
   * @param {Response} res
   * @param {(ev: SseEvent) => boolean | void} onEvent
   */
  async function readSse(res, onEvent) {
    if (!res.body) return;
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      var m;
      while ((m = /\r?\n\r?\n/.exec(buffer))) {
        var block = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        /** @type {SseEvent} */
        var ev = { event: "message", data: "", id: null };
        /** @type {string[]} */
        var data = [];
        block.split(/\r?\n/).forEach(function (line) {
          if (!line || line.charAt(0) === ":") return;
          var colon = line.indexOf(":");
          var field = colon < 0 ? line : line.slice(0, colon);
          var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") ev.event = value;
          else if (field === "id") ev.id = value;
          else if (field === "data") data.push(value);
        });
        if (data.length === 0) continue;
        ev.data = data.join("\n");
        if (onEvent(ev) === false) {
          reader.cancel().catch(function () {});
          return;
        }
      }
    }
  }

  // --- The API key of this tab -------------------------------------------------------------------------

  /** @param {string} message */
  function askForKey(message) {
    const banner = $("auth-banner");
    if (!banner || !authOn || $("tab-key-form")) return;
    var input = /** @type {HTMLInputElement} */ (
      el("input", { type: "password", id: "tab-key", autocomplete: "current-password", required: "", minlength: "16" })
    );
    var form = el("form", { id: "tab-key-form", class: "row" }, [
      el("div", { class: "field" }, [el("label", { for: "tab-key", text: "API key" }), input]),
      el("button", { type: "submit", text: "Use this key" }),
    ]);
    banner.replaceChildren(el("p", { text: message }), form);
    form.addEventListener(
      "submit",
      /** @param {Event} e */ async function (e) {
        e.preventDefault();
        var key = input.value.trim();
        var res = await fetch("/v1/suites", { headers: { authorization: "Bearer " + key } });
        if (res.ok) {
          saveKey(key);
          banner.replaceChildren();
        } else {
          /** @type {ChildNode} */ (banner.firstChild).textContent = "That key was not accepted (" + (await problemOf(res)) + ").";
        }
      },
    );
  }

  if (page === "signin") {
    if (body.dataset.signinFailed) saveKey(null);
    var signin = $("signin-form");
    if (signin) {
      signin.addEventListener("submit", function () {
        saveKey(field("api-key").value.trim());
      });
    }
  } else if (authOn && !apiKey()) {
    askForKey("This tab has no copy of your API key (each tab keeps its own): enter it for live updates and actions.");
  }
  var signout = $("signout-form");
  if (signout) {
    signout.addEventListener("submit", function () {
      saveKey(null);
    });
  }

  // Timestamps in the reader's time zone (the UTC text stays as the tooltip).
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (Number.isNaN(d.getTime())) return;
    t.title = t.textContent;
    t.textContent = d.toLocaleString();
  });

  // --- Playground --------------------------------------------------------------------------------------

  function playground() {
    var form = /** @type {HTMLFormElement} */ ($("pg-form"));
    var prompt = /** @type {HTMLTextAreaElement} */ ($("pg-prompt"));
    var itemSelect = field("pg-item");
    var itemInfo = required("pg-item-info");
    var send = button("pg-send");
    var stop = button("pg-stop");
    var status = required("pg-status");
    var errorBox = required("pg-error");
    var replies = required("pg-replies");
    var template = /** @type {HTMLTemplateElement} */ ($("reply-template"));
    /** @type {PageModel[]} */
    var models = jsonData("pg-models") || [];
    /** @type {PageItem[]} */
    var items = jsonData("pg-items") || [];
    /** @type {PageItem | null | undefined} */
    var current = null; // the selected suite item
    /** @type {AbortController | null} */
    var controller = null;

    /** @param {PageItem} item */
    function userText(item) {
      return item.messages
        .filter(function (m) {
          return m.role === "user";
        })
        .map(function (m) {
          return m.content;
        })
        .join("\n\n");
    }

    itemSelect.addEventListener("change", function () {
      current = null;
      itemInfo.textContent = "";
      var key = itemSelect.value;
      if (!key) return;
      current = items.find(function (i) {
        return i.key === key;
      });
      if (!current) return;
      prompt.value = userText(current);
      if (current.max_tokens) field("pg-max-tokens").value = String(current.max_tokens);
      var checks = current.checks.map(function (c) {
        return c.type;
      });
      var system = current.messages.some(function (m) {
        return m.role !== "user";
      });
      itemInfo.textContent =
        current.dimension.replace(/_/g, " ") +
        " · " +
        (checks.length ? checks.length + " check(s): " + checks.join(", ") : "scored from its timings") +
        (current.max_tokens ? " · max_tokens " + current.max_tokens : "") +
        (system ? " · with its system message" : "") +
        ". Editing the prompt turns it into your own (no checks).";
    });

    prompt.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });

    stop.addEventListener("click", function () {
      if (controller) controller.abort();
    });

    /** @param {string} id */
    function numberField(id) {
      var v = field(id).value.trim();
      return v === "" ? undefined : Number(v);
    }

    /** @param {PageModel} model */
    function makeCard(model) {
      var first = template.content.firstElementChild;
      if (!first) throw new Error("the reply template is empty");
      var card = /** @type {HTMLElement} */ (first.cloneNode(true));
      card.dataset.model = model.name;
      within(card, ".swatch").style.background = model.color;
      within(card, ".model-name").textContent = model.name;
      return {
        node: card,
        text: within(card, '[data-role="text"]'),
        state: within(card, '[data-role="state"]'),
        error: within(card, '[data-role="error"]'),
        checks: within(card, '[data-role="checks"]'),
        /**
         * @param {string} name
         * @param {string} value
         */
        stat: function (name, value) {
          var dd = card.querySelector('[data-stat="' + name + '"]');
          if (dd) dd.textContent = value;
        },
        /** @type {number | null} ms from sending to this model's first delta */
        first: null,
        done: false,
      };
    }

    /**
     * @param {ReturnType<typeof makeCard>} card
     * @param {PageItem} item
     * @param {{ reply: string, ttft_ms: number, tokens_per_second: number }} result
     */
    async function score(card, item, result) {
      /** @type {{ item: Record<string, unknown>, reply: string, timings?: Record<string, number> }} */
      var req = { item: { id: item.id, dimension: item.dimension, messages: item.messages, checks: item.checks }, reply: result.reply };
      if (item.max_tokens) req.item.max_tokens = item.max_tokens;
      if (item.dimension === "latency") req.timings = { ttft_ms: result.ttft_ms, tokens_per_second: result.tokens_per_second };
      var res = await api("/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req) });
      if (!res.ok) {
        card.checks.replaceChildren(el("p", { class: "alert", text: "Scoring failed: " + (await problemOf(res)) }));
        return;
      }
      /** @type {{ passed: boolean, checks: CheckResult[] }} */
      var s = await res.json();
      var passed = s.checks.filter(function (c) {
        return c.passed;
      }).length;
      var list = el(
        "ul",
        { class: "check-results" },
        s.checks.map(function (c) {
          return el("li", { class: c.passed ? "pass" : "fail" }, [
            (c.passed ? "✓ " : "✗ ") + c.type + ": " + c.detail + (c.error ? " (" + c.error + ")" : ""),
          ]);
        }),
      );
      card.checks.replaceChildren(
        el("p", {}, [
          el("b", { class: s.passed ? "pass" : "fail", text: s.passed ? "Passed" : "Failed" }),
          " · " + passed + "/" + s.checks.length + " checks (" + item.key + ")",
        ]),
        list,
      );
      card.node.dataset.passed = String(s.passed);
    }

    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      errorBox.textContent = "";
      var chosen = Array.from(form.querySelectorAll('input[name="models"]:checked'), function (c) {
        return /** @type {HTMLInputElement} */ (c).value;
      });
      var text = prompt.value;
      if (!text.trim()) {
        errorBox.textContent = "Type a prompt or pick a suite item.";
        prompt.focus();
        return;
      }
      if (chosen.length === 0) {
        errorBox.textContent = "Choose at least one model.";
        return;
      }
      var item = current && text === userText(current) ? current : null;
      /** @type {Record<string, number>} */
      var sampling = {};
      /** @type {[string, string][]} */ ([
        ["temperature", "pg-temperature"],
        ["top_p", "pg-top-p"],
        ["top_k", "pg-top-k"],
        ["seed", "pg-seed"],
      ]).forEach(function (f) {
        var v = numberField(f[1]);
        if (v !== undefined) sampling[f[0]] = v;
      });
      var request = {
        messages: item ? item.messages : [{ role: "user", content: text }],
        models: chosen,
        sampling: sampling,
        max_tokens: numberField("pg-max-tokens") || 128,
      };

      /** @type {Record<string, ReturnType<typeof makeCard>>} */
      var cards = {};
      replies.replaceChildren();
      chosen.forEach(function (name) {
        var model = models.find(function (m) {
          return m.name === name;
        }) || { name: name, color: "#6b7280" };
        var card = makeCard(model);
        cards[name] = card;
        replies.appendChild(card.node);
      });

      controller = new AbortController();
      body.dataset.playgroundState = "streaming";
      send.disabled = true;
      stop.disabled = false;
      status.textContent = "Sending…";
      var t0 = performance.now();
      try {
        var res = await api("/v1/compare/stream", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
          signal: controller.signal,
        });
        if (!res.ok) {
          errorBox.textContent = await problemOf(res);
          status.textContent = "";
          replies.replaceChildren();
          return;
        }
        /** @type {Promise<void>[]} */
        var scoring = [];
        await readSse(res, function (ev) {
          var data = JSON.parse(ev.data);
          var card = data.model ? cards[data.model] : null;
          if (ev.event === "start") {
            status.textContent = "Streaming…";
            Object.values(cards).forEach(function (c) {
              setBadge(c.state, "queued", "waiting");
            });
          } else if (ev.event === "delta" && card) {
            if (card.first === null) {
              card.first = performance.now() - t0;
              card.stat("browser_ttft_ms", fmtMs(card.first));
              setBadge(card.state, "running", "streaming");
            }
            card.text.appendChild(document.createTextNode(data.delta));
          } else if (ev.event === "result" && card) {
            card.done = true;
            if (data.status === "completed") {
              // The stored reply is the reference (the deltas should add up to it).
              card.text.textContent = data.reply;
              setBadge(card.state, "completed", "completed");
            } else {
              setBadge(card.state, "failed", "error");
              card.error.textContent = data.error || "the model call failed";
            }
            card.stat("ttft_ms", fmtMs(data.ttft_ms));
            card.stat("client_ttft_ms", fmtMs(data.client_ttft_ms));
            card.stat("tokens_per_second", fmtRate(data.tokens_per_second));
            card.stat("prompt_tokens", String(data.prompt_tokens));
            card.stat("completion_tokens", String(data.completion_tokens));
            card.stat("total_ms", fmtMs(data.total_ms));
            card.stat("queue_ms", fmtMs(data.queue_ms));
            card.stat("finish_reason", data.finish_reason);
            card.node.dataset.status = data.status;
            if (item && data.status === "completed") scoring.push(score(card, item, data));
          } else if (ev.event === "done") {
            status.textContent = "Done in " + fmtMs(performance.now() - t0) + ".";
          }
        });
        await Promise.all(scoring);
        body.dataset.playgroundState = "done";
      } catch (err) {
        body.dataset.playgroundState = "stopped";
        if (controller?.signal.aborted) {
          status.textContent = "Stopped.";
          Object.values(cards).forEach(function (c) {
            if (!c.done) setBadge(c.state, "cancelled", "stopped");
          });
        } else {
          errorBox.textContent = "The stream failed: " + (err instanceof Error ? err.message : String(err));
          status.textContent = "";
        }
      } finally {
        send.disabled = false;
        stop.disabled = true;
        controller = null;
      }
    });
  }

  // --- New run form ------------------------------------------------------------------------------------

  function runForm() {
    var form = /** @type {HTMLFormElement} */ ($("run-form"));
    if (!form) return;
    var errorBox = required("run-error");
    var status = required("run-status");
    var start = button("run-start");
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      errorBox.textContent = "";
      var models = Array.from(form.querySelectorAll('input[name="models"]:checked'), function (c) {
        return /** @type {HTMLInputElement} */ (c).value;
      });
      if (models.length === 0) {
        errorBox.textContent = "Choose at least one model.";
        return;
      }
      /** @param {string} id */
      var num = function (id) {
        var v = field(id).value.trim();
        return v === "" ? undefined : Number(v);
      };
      /** @type {{ suite: string, models: string[], repeats: number, sampling: Record<string, number | undefined>, max_tokens?: number, concurrency?: number }} */
      var request = { suite: field("run-suite").value, models: models, repeats: num("run-repeats") || 1, sampling: {} };
      if (num("run-max-tokens") !== undefined) request.max_tokens = num("run-max-tokens");
      if (num("run-temperature") !== undefined) request.sampling.temperature = num("run-temperature");
      if (num("run-seed") !== undefined) request.sampling.seed = num("run-seed");
      if (num("run-concurrency") !== undefined) request.concurrency = num("run-concurrency");
      start.disabled = true;
      status.textContent = "Starting…";
      try {
        var res = await api("/v1/runs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
        if (!res.ok) {
          errorBox.textContent = await problemOf(res);
          status.textContent = "";
          return;
        }
        var run = await res.json();
        status.textContent = "Started " + run.id + ": opening it…";
        location.assign("/runs/" + encodeURIComponent(run.id));
      } catch (err) {
        errorBox.textContent = "Could not start the run: " + (err instanceof Error ? err.message : String(err));
        status.textContent = "";
      } finally {
        start.disabled = false;
      }
    });
  }

  // --- Runs list: active runs' status and progress ----------------------------------------------------

  function runsList() {
    var active = function () {
      return document.querySelectorAll('#runs tr[data-status="queued"], #runs tr[data-status="running"]').length > 0;
    };
    if (!active()) return;
    var path =
      "/v1/runs?limit=" + encodeURIComponent(body.dataset.pageSize || "25") + "&offset=" + encodeURIComponent(body.dataset.offset || "0");
    var timer = setInterval(async function () {
      if (document.visibilityState !== "visible") return;
      try {
        var res = await api(path);
        if (!res.ok) return;
        /** @type {RunRow[]} */
        var rows = await res.json();
        rows.forEach(function (r) {
          var row = /** @type {HTMLElement | null} */ (document.querySelector('#runs tr[data-run="' + CSS.escape(r.id) + '"]'));
          if (!row || (row.dataset.status === r.status && row.dataset.done === String(r.done))) return;
          row.dataset.status = r.status;
          row.dataset.done = String(r.done);
          setBadge(row.querySelector('[data-cell="status"] .badge'), r.status, r.status);
          var bar = row.querySelector('[data-cell="progress"] .progress');
          if (bar) {
            bar.setAttribute("aria-valuenow", String(r.done));
            fillBar(bar, r.total_items ? (100 * r.done) / r.total_items : 0);
            bar.classList.toggle("done", r.total_items > 0 && r.done >= r.total_items);
          }
          var text = row.querySelector('[data-cell="progress-text"]');
          if (text) text.textContent = r.done + "/" + r.total_items + (r.errors ? " · " + r.errors + " errors" : "");
        });
        if (!active()) clearInterval(timer);
      } catch {
        /* the next tick tries again */
      }
    }, 3000);
  }

  // --- A run: live progress ----------------------------------------------------------------------------

  function runPage() {
    var id = body.dataset.runId || "";
    var runStatus = body.dataset.runStatus;
    var cancel = button("run-cancel");
    var actionStatus = $("run-action-status");
    var actionError = required("run-action-error");
    if (cancel) {
      var armed = false;
      cancel.addEventListener("click", async function () {
        if (!armed) {
          armed = true;
          cancel.textContent = "Confirm: cancel the run";
          setTimeout(function () {
            armed = false;
            cancel.textContent = "Cancel run";
          }, 5000);
          return;
        }
        cancel.disabled = true;
        var res = await api("/v1/runs/" + encodeURIComponent(id) + "/cancel", { method: "POST" });
        if (res.ok || res.status === 409) location.reload();
        else {
          actionError.textContent = await problemOf(res);
          cancel.disabled = false;
        }
      });
    }
    if (runStatus !== "queued" && runStatus !== "running") return;

    var feed = $("feed");
    var live = required("live-status");
    var controller = new AbortController();
    /** @type {string | null} */
    var lastId = null;
    var seen = runStatus;

    /** @param {RunProgress} p */
    function onProgress(p) {
      Object.entries(p.by_model || {}).forEach(function (entry) {
        var m = entry[0];
        var b = entry[1];
        var bar = document.querySelector('[data-progress-bar="' + CSS.escape(m) + '"] .progress');
        if (bar) {
          bar.setAttribute("aria-valuenow", String(b.done));
          fillBar(bar, b.total ? (100 * b.done) / b.total : 0);
          bar.classList.toggle("done", b.total > 0 && b.done >= b.total);
        }
        var text = document.querySelector('[data-progress-text="' + CSS.escape(m) + '"]');
        if (text)
          text.textContent = b.done + "/" + b.total + " done · " + b.passed + " passed" + (b.errors ? " · " + b.errors + " errors" : "");
      });
      required("progress-total").textContent = p.done + "/" + p.total + " replies" + (p.errors ? ", " + p.errors + " errors" : "");
      if (p.status && p.status !== seen) {
        seen = p.status;
        setBadge(required("run-state").firstElementChild, p.status, p.status);
      }
    }

    /** @param {ItemEvent} i */
    function onItem(i) {
      if (!feed) return;
      var outcome = i.status === "error" ? "error" : i.passed === null ? "measured" : i.passed ? "passed" : "failed";
      var cls = outcome === "passed" ? "pass" : outcome === "measured" ? "" : "fail";
      feed.insertBefore(
        el("li", {}, [
          el("b", { text: i.model }),
          " · " + i.item_id + " · ",
          el("span", { class: cls, text: outcome }),
          i.status === "error" ? "" : " · TTFT " + fmtMs(i.ttft_ms) + " · " + fmtRate(i.tokens_per_second) + " tok/s",
        ]),
        feed.firstChild,
      );
      while (feed.children.length > 20 && feed.lastChild) feed.removeChild(feed.lastChild);
    }

    async function follow() {
      for (var attempt = 0; ; attempt++) {
        var finished = false;
        try {
          /** @type {Record<string, string>} */
          var headers = lastId ? { "last-event-id": lastId } : {};
          var res = await api("/v1/runs/" + encodeURIComponent(id) + "/events", { headers: headers, signal: controller.signal });
          if (!res.ok) {
            live.textContent = "Live updates stopped: " + (await problemOf(res));
            if (res.status === 401 || res.status === 404) return;
          } else {
            live.textContent = "Following the run live…";
            await readSse(res, function (ev) {
              if (ev.id) lastId = ev.id;
              var data = JSON.parse(ev.data);
              if (ev.event === "progress") onProgress(data);
              else if (ev.event === "item_completed") onItem(data);
              else if (ev.event === "run_completed") {
                onProgress(data);
                finished = true;
                return false;
              }
              return true;
            });
          }
        } catch {
          if (controller.signal.aborted) return;
        }
        if (finished) {
          live.textContent = "The run has finished: loading its results…";
          body.dataset.runFinished = "1";
          location.reload();
          return;
        }
        // The stream broke (evaluator restarting, network): resume after a back-off, from the last event.
        await new Promise(function (resolve) {
          setTimeout(resolve, Math.min(10000, 500 * 2 ** Math.min(attempt, 5)));
        });
      }
    }
    window.addEventListener("pagehide", function () {
      controller.abort();
    });
    follow();
    if (actionStatus) actionStatus.textContent = "";
  }

  // --- Models: live load -------------------------------------------------------------------------------

  function modelsPage() {
    var stamp = $("models-refreshed");
    async function refresh() {
      if (document.visibilityState !== "visible") return;
      try {
        var res = await api("/v1/models");
        if (!res.ok) return;
        /** @type {ModelLoad[]} */
        var rows = await res.json();
        rows.forEach(function (m) {
          var card = document.querySelector('section[data-model="' + CSS.escape(m.name) + '"]');
          if (!card) return;
          var health = card.querySelector('[data-field="health"] .badge');
          setBadge(health, m.health, m.health.toLowerCase().replace(/_/g, " "));
          within(card, '[data-field="in_flight"]').textContent = m.in_flight + " / " + m.concurrency;
          within(card, '[data-field="pending_requests"]').textContent = String(m.pending_requests);
          var bar = card.querySelector('[data-field="in_flight_bar"] .progress');
          if (bar) {
            bar.setAttribute("aria-valuenow", String(m.in_flight));
            bar.setAttribute("aria-valuemax", String(m.concurrency));
            fillBar(bar, m.concurrency ? Math.min(100, (100 * m.in_flight) / m.concurrency) : 0);
          }
        });
        if (stamp) stamp.textContent = "Load updated " + new Date().toLocaleTimeString() + ".";
      } catch {
        /* the next refresh tries again */
      }
    }
    setInterval(refresh, 5000);
  }

  if (page === "playground") playground();
  else if (page === "runs") {
    runForm();
    runsList();
  } else if (page === "run") runPage();
  else if (page === "models") modelsPage();
})();
