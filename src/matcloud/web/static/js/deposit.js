/* matcloud ARCHIVE: the deposit form (/uploads/new, /uploads/<id>) and the actions of
 * "My uploads". Plain JavaScript, no build step, no library. Everything goes through the
 * records REST API with the session cookie and the page's CSRF token.
 */
(function () {
  "use strict";

  // -- small helpers ----------------------------------------------------------------------

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }
  function enc(value) { return encodeURIComponent(value); }
  function clone(value) { return value == null ? value : JSON.parse(JSON.stringify(value)); }
  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }
  function csrf() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function humanSize(bytes) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];  // as the server's messages write them
    var value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    if (unit === 0) return bytes + " B";
    return (Math.round(value * 10) / 10).toString() + " " + units[unit];
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function sentence(text) {
    text = String(text || "").trim();
    if (!text) return text;
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?)]$/.test(text) ? text : text + ".";
  }

  async function api(method, path, body) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      return { ok: false, status: 0, data: { detail: "The server cannot be reached; check the connection and try again." } };
    }
    var data = {};
    if (response.status !== 204) {
      try { data = await response.json(); } catch (error) { data = {}; }
    }
    return { ok: response.ok, status: response.status, data: data || {} };
  }
  function problemText(res) {
    return (res.data && (res.data.detail || res.data.title)) || "The server answered " + res.status + ".";
  }

  // -- checks the server makes too (here for messages while typing) ------------------------

  var ORCID_FORM = /^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$/;
  var ROR_FORM = /^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$/;
  var DOI_FORM = /^10\.\d{4,9}\/\S+$/;
  var ARXIV_FORM = /^(arXiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?\/\d{7})(v\d+)?$/;
  var DATE_FORM = /^\d{4}(-\d{2}(-\d{2})?)?$/;

  function normOrcid(value) { return value.trim().replace(/^https?:\/\/orcid\.org\//i, ""); }
  function normRor(value) { return value.trim().replace(/^https?:\/\/ror\.org\//i, ""); }
  function orcidChecksumOk(orcid) {
    var digits = orcid.replace(/-/g, "");
    var total = 0;
    for (var i = 0; i < 15; i++) total = (total + Number(digits[i])) * 2;
    var check = (12 - (total % 11)) % 11;
    return digits[15] === (check === 10 ? "X" : String(check));
  }
  function orcidProblem(raw) {
    var value = normOrcid(raw);
    if (!value) return null;
    if (!ORCID_FORM.test(value)) return "An ORCID iD looks like 0000-0002-1825-0097: 16 digits (the last may be X) in groups of four.";
    if (!orcidChecksumOk(value)) return value + " is not a valid ORCID iD: its last character (the check digit) is wrong. Copy it from the ORCID profile.";
    return null;
  }
  function rorProblem(raw) {
    var value = normRor(raw);
    return value && !ROR_FORM.test(value) ? "A ROR id looks like 02s376052 (or https://ror.org/02s376052)." : null;
  }
  function referenceProblem(scheme, raw) {
    var value = raw.trim();
    if (!value) return null;
    if (scheme === "doi") {
      value = value.replace(/^(https?:\/\/(dx\.)?doi\.org\/|doi:)/i, "");
      return DOI_FORM.test(value) ? null : "A DOI looks like 10.1038/s41597-020-00637-5.";
    }
    if (scheme === "arxiv") return ARXIV_FORM.test(value) ? null : "An arXiv id looks like 2003.12510 or arXiv:2003.12510v2.";
    if (scheme === "url") return /^https?:\/\/\S+$/.test(value) ? null : "A URL starts with http:// or https://.";
    return null;
  }
  function dateProblem(raw) {
    var value = raw.trim();
    return value && !DATE_FORM.test(value) ? "Use YYYY-MM-DD (or YYYY-MM, or YYYY)." : null;
  }

  // -- "My uploads": correct the metadata / start a new version of a published record ------

  function initUploadsActions() {
    $$("[data-uploads-action]").forEach(function (button) {
      button.addEventListener("click", async function () {
        var status = $("#uploads-status");
        var id = button.getAttribute("data-id");
        var correct = button.getAttribute("data-uploads-action") === "correct";
        button.disabled = true;
        if (status) status.textContent = correct ? "Opening a correction…" : "Starting a new version…";
        var res = await api("POST", "/api/records/" + enc(id) + (correct ? "/draft" : "/versions"));
        if (res.ok) {
          window.location.href = "/uploads/" + enc(res.data.id);
          return;
        }
        button.disabled = false;
        if (status) status.textContent = problemText(res);
      });
    });
  }

  // -- the deposit form ----------------------------------------------------------------------

  function initDeposit() {
    var form = $("#deposit-form");
    var dataNode = $("#deposit-data");
    if (!form || !dataNode) return;
    var data = JSON.parse(dataNode.textContent);
    var S = data.settings, U = S.upload, V = data.vocabularies;
    var EDITABLE_MODES = ["new", "draft", "changes_requested", "correction"];
    var state = {
      mode: data.mode,
      draft: data.draft,
      id: data.draft ? data.draft.id : null,
      base: data.draft ? clone(data.draft.pending_correction || data.draft.metadata) : {},
      requestId: data.draft && data.draft.review ? data.draft.review.id : null,
      dirty: false,
      saving: null,
      timer: null,
      showMissing: !!data.draft,
      files: new Map(),
      queue: [],
      running: false,
      serverErrors: [],
      clientErrors: new Map()
    };
    var editableAll = data.editable === "all";
    var editableSet = new Set(Array.isArray(data.editable) ? data.editable : []);
    var seq = 0;

    var creatorsList = $("#creators-list");
    var refsList = $("#references-list");
    var fundingList = $("#funding-list");
    var keywordsList = $("#keywords-list");
    var keywordInput = $("#keyword-input");
    var filesList = $("#files-list");
    var saveStatus = $("#save-status");

    function editableNow() { return EDITABLE_MODES.indexOf(state.mode) >= 0; }
    function canEdit(key) { return editableNow() && (editableAll || editableSet.has(key)); }
    function anyEditable() { return editableNow() && (editableAll || editableSet.size > 0); }
    function announce(text) { $("#upload-status").textContent = text; }

    function instantiate(id) {
      var node = $("#" + id).content.firstElementChild.cloneNode(true);
      var n = String(++seq);
      [node].concat($$("*", node)).forEach(function (item) {
        ["id", "for", "name", "aria-describedby", "aria-labelledby"].forEach(function (attr) {
          var value = item.getAttribute(attr);
          if (value && value.indexOf("__N__") >= 0) item.setAttribute(attr, value.split("__N__").join(n));
        });
      });
      return node;
    }
    function field(row, key) { return row.querySelector('[data-key="' + key + '"]'); }
    function val(row, key) { var input = field(row, key); return input ? input.value.trim() : ""; }

    // -- errors shown next to the fields ------------------------------------------------------

    function labelOf(target) {
      var label = target.id ? $('label[for="' + CSS.escape(target.id) + '"]') : null;
      if (label) return label.textContent.replace(/\*|\((optional|recommended)\)/g, "").trim();
      var heading = target.querySelector("h2, legend");
      return heading ? heading.textContent.replace(/\*|\(optional\)/g, "").trim() : "";
    }
    function targetFor(path) {
      var p = path || "";
      while (p) {
        var sel = '[data-path="' + CSS.escape(p) + '"], [data-path-alt="' + CSS.escape(p) + '"]';
        var found = $$(sel, document.getElementById("deposit")).filter(function (n) { return !n.closest("[hidden]"); });
        if (found.length) return found[0];
        var cut = p.lastIndexOf(".");
        if (cut < 0) break;
        p = p.slice(0, cut);
      }
      return null;
    }
    function slotFor(target) {
      if (target.matches("input, select, textarea")) {
        var box = target.closest(".field");
        var slot = box && box.querySelector(":scope > .field-error");
        if (slot) return slot;
      }
      var node = target;
      while (node && node !== document.body) {
        var own = node.querySelector(":scope > .error-slot, :scope > .row-box > .error-slot");
        if (own) return own;
        node = node.parentElement;
      }
      return null;
    }
    function phrase(target, message, path) {
      var text = String(message || "");
      path = path || "";
      if (path.indexOf("files.") === 0) return sentence(path.slice(6) + " " + text);
      if (target && target.type === "checkbox") return "Tick this box to confirm it.";
      if (/^needs /i.test(text)) return "Still needed: " + sentence(text.slice(6)).replace(/^./, function (c) { return c.toLowerCase(); });
      if (/^(is|must|has|should) /i.test(text)) {
        var label = (V.field_labels || {})[path] || (target && labelOf(target)) || "";
        if (label) return sentence(label + " " + text);
      }
      return sentence(text);
    }
    function renderErrors() {
      $$(".field-error", document.getElementById("deposit")).forEach(function (slot) {
        slot.hidden = true;
        slot.textContent = "";
        slot.classList.remove("is-missing");
      });
      $$("[aria-invalid]", form).forEach(function (n) { n.removeAttribute("aria-invalid"); });
      var shown = new Map();
      function put(target, text, kind) {
        if (!target) return null;
        var slot = slotFor(target);
        if (!slot) return null;
        if (!slot.id) slot.id = "err-" + (++seq);
        var entry = shown.get(slot) || { texts: [], kind: kind };
        if (entry.texts.indexOf(text) < 0) entry.texts.push(text);
        if (kind === "error") entry.kind = "error";
        shown.set(slot, entry);
        if (kind === "error" && target.matches("input, select, textarea")) {
          target.setAttribute("aria-invalid", "true");
          var described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          if (described.indexOf(slot.id) < 0) target.setAttribute("aria-describedby", described.concat([slot.id]).join(" "));
        }
        return target;
      }
      var first = null;
      if (state.showMissing && state.draft && state.draft.errors && state.mode !== "correction") {
        state.draft.errors.forEach(function (e) {
          if (e.field === "files" || e.field.indexOf("files.") === 0) return;
          var target = targetFor(e.field);
          e.messages.forEach(function (m) { put(target, phrase(target, m, e.field), "missing"); });
        });
      }
      state.serverErrors.forEach(function (e) {
        var target = targetFor(e.field);
        var hit = put(target, phrase(target, e.message, e.field), "error");
        first = first || hit;
      });
      state.clientErrors.forEach(function (message, input) {
        if (!input.isConnected) { state.clientErrors.delete(input); return; }
        var hit = put(input, message, "error");
        first = first || hit;
      });
      shown.forEach(function (entry, slot) {
        slot.textContent = entry.texts.join(" ");
        slot.classList.toggle("is-missing", entry.kind !== "error");
        slot.hidden = false;
      });
      return first;
    }
    function unplacedErrors() {
      return state.serverErrors.filter(function (e) { return !targetFor(e.field); });
    }

    // -- client-side checks ----------------------------------------------------------------

    function checkInput(input) {
      var key = input.getAttribute("data-key");
      var problem = null;
      if (key === "orcid") problem = orcidProblem(input.value);
      else if (key === "id" && input.closest("[data-subrow]")) problem = rorProblem(input.value);
      else if (key === "identifier") problem = referenceProblem(val(input.closest("[data-row]"), "scheme"), input.value);
      else if (input.id === "publication-date") problem = dateProblem(input.value);
      else return false;
      var had = state.clientErrors.has(input);
      if (problem && !input.closest("[hidden]")) state.clientErrors.set(input, problem);
      else state.clientErrors.delete(input);
      return had !== state.clientErrors.has(input) || !!problem;
    }
    function checkAll() {
      $$("[data-key=orcid], [data-subrow] [data-key=id], [data-key=identifier], #publication-date", form)
        .forEach(checkInput);
      renderErrors();
      return state.clientErrors.size === 0;
    }

    // -- rows: creators, affiliations, references, funding --------------------------------------

    function renumber(list, noun) {
      var rows = $$(":scope > li", list);
      var editable = canEdit(list === creatorsList ? "creators" : list === refsList ? "related_identifiers" : "funding");
      rows.forEach(function (row, i) {
        var ordinal = row.querySelector("[data-ordinal]");
        if (ordinal) ordinal.textContent = String(i + 1);
        var name = noun + " " + (i + 1);
        var up = row.querySelector('[data-action="up"]');
        var down = row.querySelector('[data-action="down"]');
        if (up) { up.setAttribute("aria-label", "Move " + name + " up"); up.disabled = !editable || i === 0; }
        if (down) { down.setAttribute("aria-label", "Move " + name + " down"); down.disabled = !editable || i === rows.length - 1; }
        var remove = row.querySelector('[data-action="remove"]');
        if (remove) remove.setAttribute("aria-label", "Remove " + name);
      });
    }
    function setCreatorType(row, type) {
      $$('[data-key="type"]', row).forEach(function (r) { r.checked = r.value === type; });
      $$(".person-only", row).forEach(function (n) { n.hidden = type !== "personal"; });
      $$(".org-only", row).forEach(function (n) { n.hidden = type === "personal"; });
    }
    function creatorType(row) {
      var checked = row.querySelector('[data-key="type"]:checked');
      return checked ? checked.value : "personal";
    }
    function addAffiliation(row, affiliation) {
      var sub = instantiate("tpl-affiliation");
      field(sub, "name").value = (affiliation && affiliation.name) || "";
      field(sub, "id").value = (affiliation && affiliation.id) || "";
      row.querySelector("[data-affiliations]").appendChild(sub);
      return sub;
    }
    function addCreator(creator) {
      var row = instantiate("tpl-creator");
      row._orig = clone(creator) || null;
      var po = (creator && creator.person_or_org) || { type: "personal" };
      setCreatorType(row, po.type || "personal");
      field(row, "given_name").value = po.given_name || "";
      field(row, "family_name").value = po.family_name || "";
      field(row, "org_name").value = po.type === "organizational" ? po.name || "" : "";
      var orcid = (po.identifiers || []).filter(function (i) { return i.scheme === "orcid"; })[0];
      field(row, "orcid").value = orcid ? orcid.identifier : "";
      var affiliations = (creator && creator.affiliations) || [];
      if (!creator) affiliations = [{}];
      affiliations.forEach(function (a) { addAffiliation(row, a); });
      creatorsList.appendChild(row);
      renumber(creatorsList, "creator");
      return row;
    }
    function addReference(ref) {
      var row = instantiate("tpl-reference");
      row._orig = clone(ref) || null;
      var scheme = field(row, "scheme");
      var relation = field(row, "relation");
      if (ref && !$$("option", scheme).some(function (o) { return o.value === ref.scheme; })) {
        scheme.appendChild(el("option", { value: ref.scheme }, ref.scheme));
      }
      scheme.value = (ref && ref.scheme) || "doi";
      relation.value = (ref && ref.relation_type && ref.relation_type.id) || "issupplementto";
      field(row, "identifier").value = (ref && ref.identifier) || "";
      refsList.appendChild(row);
      renumber(refsList, "reference");
      return row;
    }
    function addFunding(grant) {
      var row = instantiate("tpl-funding");
      row._orig = clone(grant) || null;
      var award = (grant && grant.award) || {};
      field(row, "funder").value = (grant && grant.funder && grant.funder.name) || "";
      field(row, "number").value = award.number || "";
      field(row, "award_title").value = (award.title && (award.title.en || Object.values(award.title)[0])) || "";
      fundingList.appendChild(row);
      renumber(fundingList, "grant");
      return row;
    }

    function onRowAction(list, noun, event) {
      var button = event.target.closest("button[data-action]");
      if (!button || !list.contains(button)) return;
      var row = button.closest("[data-row]");
      var action = button.getAttribute("data-action");
      if (action === "up" || action === "down") {
        var other = action === "up" ? row.previousElementSibling : row.nextElementSibling;
        if (!other) return;
        list.insertBefore(row, action === "up" ? other : other.nextElementSibling);
        renumber(list, noun);
        var position = $$(":scope > li", list).indexOf(row) + 1;
        (button.disabled ? row.querySelector('[data-action="' + (action === "up" ? "down" : "up") + '"]') : button).focus();
        announce(sentence(noun + " moved to position " + position));
      } else if (action === "remove") {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(list, noun);
        var focus = next ? next.querySelector("input, select") : list.parentElement.querySelector("button[id^=add-]");
        if (focus) focus.focus();
        announce(sentence(noun + " removed"));
      } else if (action === "add-affiliation") {
        field(addAffiliation(row), "name").focus();
      } else if (action === "remove-affiliation") {
        var sub = button.closest("[data-subrow]");
        var after = sub.nextElementSibling || sub.previousElementSibling;
        sub.remove();
        (after ? field(after, "name") : row.querySelector('[data-action="add-affiliation"]')).focus();
        announce("Affiliation removed");
      } else {
        return;
      }
      markDirty();
    }

    // -- keywords as chips --------------------------------------------------------------------

    var keywords = [];
    function renderKeywords() {
      keywordsList.textContent = "";
      keywords.forEach(function (word, i) {
        var chip = el("li", { "class": "chip", "data-path": "metadata.subjects." + i });
        chip.appendChild(el("span", {}, word));
        var remove = el("button", { type: "button", "class": "chip-remove", "aria-label": "Remove keyword " + word }, "×");
        remove.disabled = !canEdit("subjects");
        remove.addEventListener("click", function () {
          keywords.splice(i, 1);
          renderKeywords();
          markDirty();
          announce("Keyword " + word + " removed");
          (keywordsList.querySelector("button") || keywordInput).focus();
        });
        chip.appendChild(remove);
        keywordsList.appendChild(chip);
      });
      keywordsList.hidden = keywords.length === 0;
    }
    function addKeywords(text) {
      var added = [];
      text.split(/[,;\n]/).forEach(function (part) {
        var word = part.trim().slice(0, 200);
        if (!word || keywords.length >= 50) return;
        if (keywords.some(function (k) { return k.toLowerCase() === word.toLowerCase(); })) return;
        keywords.push(word);
        added.push(word);
      });
      if (added.length) {
        renderKeywords();
        markDirty();
        announce("Keyword " + added.join(", ") + " added");
      }
      return added.length;
    }
    function flushKeywordInput() {
      if (keywordInput.value.trim()) {
        addKeywords(keywordInput.value);
        keywordInput.value = "";
      }
    }

    // -- form <-> metadata ------------------------------------------------------------------

    function fillForm(meta) {
      meta = meta || {};
      $("#title").value = meta.title || "";
      $("#resource-type").value = (meta.resource_type && meta.resource_type.id) || "dataset";
      $("#publication-date").value = meta.publication_date || "";
      $("#version-label").value = meta.version || "";
      $("#description").value = meta.description || "";
      var licence = $("#licence");
      var rightId = meta.rights && meta.rights[0] ? meta.rights[0].id : "cc-by-4.0";
      if (!$$("option", licence).some(function (o) { return o.value === rightId; })) {
        licence.appendChild(el("option", { value: rightId }, rightId));
      }
      licence.value = rightId;
      creatorsList.textContent = "";
      (meta.creators || []).forEach(addCreator);
      if (!creatorsList.children.length && canEdit("creators")) addCreator(null);
      keywords = (meta.subjects || []).map(function (s) { return s.subject; });
      renderKeywords();
      refsList.textContent = "";
      (meta.related_identifiers || []).forEach(addReference);
      if (!refsList.children.length && canEdit("related_identifiers")) addReference(null);
      fundingList.textContent = "";
      (meta.funding || []).forEach(addFunding);
      updateLicenceLink();
      updateCounter();
    }

    function setPath(node, path, alt) {
      node.setAttribute("data-path", path);
      if (alt) node.setAttribute("data-path-alt", alt); else node.removeAttribute("data-path-alt");
    }
    function clearPaths(row) {
      [row].concat($$("[data-path]", row)).forEach(function (n) {
        n.removeAttribute("data-path");
        n.removeAttribute("data-path-alt");
      });
    }
    function collectCreators() {
      var out = [];
      $$(":scope > li", creatorsList).forEach(function (row) {
        var type = creatorType(row);
        var given = val(row, "given_name"), family = val(row, "family_name");
        var org = val(row, "org_name"), orcid = normOrcid(field(row, "orcid").value);
        var affs = $$("[data-subrow]", row).map(function (sub) {
          return { node: sub, name: val(sub, "name"), id: normRor(field(sub, "id").value) };
        }).filter(function (a) { return a.name || a.id; });
        var empty = type === "personal" ? !(given || family || orcid) : !org;
        clearPaths(row);
        if (empty && !affs.length) return;
        var base = "metadata.creators." + out.length;
        var pb = base + ".person_or_org";
        setPath(row, base);
        var orig = clone(row._orig) || {};
        var po = Object.assign({}, orig.person_or_org || {});
        po.type = type;
        ["given_name", "family_name", "name"].forEach(function (k) { delete po[k]; });
        if (type === "personal") {
          if (given) po.given_name = given;
          if (family) po.family_name = family;
          setPath(field(row, "given_name"), pb + ".given_name");
          setPath(field(row, "family_name"), pb + ".family_name", pb);
        } else {
          po.name = org;
          setPath(field(row, "org_name"), pb + ".name", pb);
        }
        var ids = (po.identifiers || []).filter(function (i) { return i.scheme !== "orcid"; });
        if (type === "personal" && orcid) {
          ids.push({ scheme: "orcid", identifier: orcid });
          setPath(field(row, "orcid"), pb + ".identifiers." + (ids.length - 1));
        }
        po.identifiers = ids;
        var affiliations = affs.map(function (a, j) {
          var ab = base + ".affiliations." + j;
          setPath(a.node, ab);
          setPath(field(a.node, "name"), ab + ".name");
          setPath(field(a.node, "id"), ab + ".id", ab);
          var item = {};
          if (a.name) item.name = a.name;
          if (a.id) item.id = a.id;
          return item;
        });
        out.push(Object.assign(orig, { person_or_org: po, affiliations: affiliations }));
      });
      return out;
    }
    function collectReferences() {
      var out = [];
      $$(":scope > li", refsList).forEach(function (row) {
        var identifier = val(row, "identifier");
        clearPaths(row);
        if (!identifier) return;
        var base = "metadata.related_identifiers." + out.length;
        setPath(row, base);
        setPath(field(row, "identifier"), base + ".identifier", base);
        setPath(field(row, "scheme"), base + ".scheme");
        setPath(field(row, "relation"), base + ".relation_type", base + ".relation_type.id");
        var item = clone(row._orig) || {};
        item.identifier = identifier;
        item.scheme = field(row, "scheme").value;
        item.relation_type = { id: field(row, "relation").value };
        out.push(item);
      });
      return out;
    }
    function collectFunding() {
      var out = [];
      $$(":scope > li", fundingList).forEach(function (row) {
        var name = val(row, "funder"), number = val(row, "number"), title = val(row, "award_title");
        clearPaths(row);
        if (!name && !number && !title) return;
        var base = "metadata.funding." + out.length;
        setPath(row, base);
        setPath(field(row, "funder"), base + ".funder.name", base + ".funder");
        setPath(field(row, "number"), base + ".award.number", base + ".award");
        setPath(field(row, "award_title"), base + ".award.title");
        var item = clone(row._orig) || {};
        item.funder = Object.assign({}, item.funder || {});
        if (name) item.funder.name = name; else delete item.funder.name;
        var award = Object.assign({}, item.award || {});
        if (number) award.number = number; else delete award.number;
        var titles = Object.assign({}, award.title || {});
        if (title) titles.en = title; else delete titles.en;
        if (Object.keys(titles).length) award.title = titles; else delete award.title;
        if (Object.keys(award).length) item.award = award; else delete item.award;
        out.push(item);
      });
      return out;
    }
    function collect() {
      var m = clone(state.base) || {};
      function text(key, id) {
        if (!canEdit(key)) return;
        var value = $(id).value.trim();
        if (value) m[key] = value; else delete m[key];
      }
      if (canEdit("resource_type")) m.resource_type = Object.assign({}, m.resource_type, { id: $("#resource-type").value });
      if (canEdit("title")) m.title = $("#title").value.trim();
      text("publication_date", "#publication-date");
      text("version", "#version-label");
      if (canEdit("creators")) m.creators = collectCreators();
      if (canEdit("description")) m.description = $("#description").value;
      if (canEdit("rights")) {
        var id = $("#licence").value;
        var rest = (m.rights || []).slice(1).filter(function (r) { return r.id !== id; });
        m.rights = [{ id: id }].concat(rest);
      }
      if (canEdit("subjects")) {
        flushKeywordInput();
        m.subjects = keywords.map(function (k) { return { subject: k }; });
      }
      if (canEdit("related_identifiers")) m.related_identifiers = collectReferences();
      if (canEdit("funding")) m.funding = collectFunding();
      return m;
    }

    // -- saving -----------------------------------------------------------------------------

    function setSave(stateName, text) {
      saveStatus.setAttribute("data-state", stateName);
      saveStatus.textContent = text;
    }
    function markDirty() {
      if (!anyEditable()) return;
      state.dirty = true;
      setSave("dirty", state.id ? "Unsaved changes" : "Not saved yet: press Save draft to keep your work");
      clearTimeout(state.timer);
      if (state.id) state.timer = setTimeout(function () { save("auto"); }, 2500);
    }
    function focusFirst(target) {
      if (!target) return;
      var focusable = target.matches("input, select, textarea, button") ? target : target.querySelector("input, select, textarea, button");
      (focusable || target).focus();
    }
    async function save(reason) {
      if (!anyEditable()) return true;
      while (state.saving) await state.saving;
      if (reason === "auto" && !state.dirty) return true;
      clearTimeout(state.timer);
      var meta = collect();
      if (!checkAll()) {
        setSave("error", "Not saved: correct the fields marked in red.");
        if (reason === "manual" || reason === "submit") focusFirst(renderErrors());
        return false;
      }
      var creating = !state.id;
      setSave("saving", creating ? "Creating the draft…" : "Saving…");
      state.dirty = false;
      state.saving = (async function () {
        var res = creating
          ? await api("POST", "/api/records", { metadata: meta })
          : await api("PUT", "/api/records/" + enc(state.id) + "/draft", { metadata: meta });
        if (res.ok) {
          state.serverErrors = [];
          state.showMissing = true;
          applyDraft(res.data);
          var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          if (state.dirty) setSave("dirty", "Unsaved changes");
          else setSave("saved", (creating ? "Draft created; saved at " : "Saved at ") + time);
          return true;
        }
        state.dirty = true;
        if (res.status === 400 && res.data.errors) {
          state.serverErrors = res.data.errors.map(function (e) { return { field: e.field, message: e.message }; });
          var first = renderErrors();
          var n = state.serverErrors.length;
          var loose = unplacedErrors().map(function (e) { return (e.field ? e.field + ": " : "") + e.message; });
          setSave("error", "Not saved: " + n + " problem" + (n === 1 ? "" : "s") + " to correct" +
            (loose.length ? " (" + loose.join("; ") + ")" : "") + ".");
          if (reason === "manual" || reason === "submit") focusFirst(first);
        } else {
          setSave("error", "Not saved: " + problemText(res));
        }
        return false;
      })();
      try {
        return await state.saving;
      } finally {
        state.saving = null;
      }
    }
    async function ensureDraft() {
      if (state.id) return true;
      if (await save("file")) return true;
      if (state.id) return true;
      var res = await api("POST", "/api/records", { metadata: {} });  // the files need a draft
      if (!res.ok) {
        setSave("error", "Could not create the draft: " + problemText(res));
        return false;
      }
      var errors = state.serverErrors;
      applyDraft(res.data);
      state.serverErrors = errors;
      state.dirty = true;
      renderErrors();
      setSave("error", "Draft created, but your changes are not saved: correct the fields marked in red.");
      return true;
    }

    function applyDraft(draft) {
      var created = !state.id;
      state.draft = draft;
      state.id = draft.id;
      state.base = clone(draft.pending_correction || draft.metadata);
      if (state.mode === "new") state.mode = "draft";
      (draft.files && draft.files.entries || []).forEach(function (entry) { setFileEntry(entry); });
      if (created) {
        history.replaceState(null, "", "/uploads/" + enc(draft.id));
        $("#deposit-title").textContent = "Upload " + draft.id;
        $("#crumb-current").textContent = draft.id;
        document.title = document.title.replace(/^New upload/, "Upload " + draft.id);
        $$('link[rel="alternate"][type="application/json"], a[href$="/uploads/new.json"]').forEach(function (n) {
          n.setAttribute("href", "/uploads/" + enc(draft.id) + ".json");
        });
        loadCriteria();
      }
      renderErrors();
      renderMissing();
    }

    // -- files --------------------------------------------------------------------------------

    function fileUrl(key) { return "/api/records/" + enc(state.id) + "/draft/files/" + enc(key); }
    function recordLimit(extraKeys) {
      var granted = state.draft && state.draft.files && state.draft.files.limits;
      if (granted && granted.bytes) {  // the server's own figure (a moderator may grant more)
        return { bytes: granted.bytes, text: humanSize(granted.bytes), aiida: false };
      }
      var keys = Array.from(state.files.keys()).concat(extraKeys || []);
      var aiida = keys.some(function (k) { return /\.aiida$/i.test(k); });
      return aiida
        ? { bytes: S.max_aiida_record_bytes, text: S.max_aiida_record_human, aiida: true }
        : { bytes: S.max_record_bytes, text: S.max_record_human, aiida: false };
    }
    function fileRecord(key) {
      var rec = state.files.get(key);
      if (rec) return rec;
      $$("li.file", filesList).forEach(function (old) { if (old.getAttribute("data-key") === key) old.remove(); });
      var row = instantiate("tpl-file");
      row.setAttribute("data-key", key);
      row.setAttribute("data-path", "files." + key);
      row.querySelector(".file-name").textContent = key;
      row.querySelector(".file-progress").setAttribute("aria-label", "Upload of " + key);
      row.querySelector('[data-action="delete-file"]').setAttribute("aria-label", "Delete " + key);
      row.querySelector('[data-action="pause"]').setAttribute("aria-label", "Pause the upload of " + key);
      rec = { key: key, row: row, entry: null, busy: false, ctrl: null, size: 0 };
      row.querySelector('[data-action="delete-file"]').addEventListener("click", function () { deleteFile(rec); });
      row.querySelector('[data-action="pause"]').addEventListener("click", function () { pause(rec); });
      state.files.set(key, rec);
      filesList.appendChild(row);
      return rec;
    }
    function setProgress(rec, fraction) {
      var percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      var bar = rec.row.querySelector(".file-progress");
      bar.value = percent;
      bar.setAttribute("value", String(percent));
      rec.row.querySelector(".file-percent").textContent = percent + "%";
    }
    function setFileState(rec, status, text) {
      rec.row.setAttribute("data-status", status);
      rec.row.querySelector(".file-state").textContent = text;
      rec.row.querySelector('[data-action="pause"]').hidden = status !== "uploading";
    }
    function fileError(rec, text) {
      var slot = rec.row.querySelector(":scope > .file-error");
      slot.textContent = text || "";
      slot.hidden = !text;
    }
    function paintEntry(rec) {
      var entry = rec.entry;
      rec.row.querySelector(".file-size").textContent = entry.size != null ? humanSize(entry.size) : "";
      if (entry.status === "completed") {
        setProgress(rec, 1);
        setFileState(rec, "completed", "Uploaded");
        return;
      }
      if (entry.transfer) {
        var t = entry.transfer, got = (t.received || []).length;
        var bytes = (t.received || []).reduce(function (sum, n) {
          return sum + Math.min(t.part_size, entry.size - (n - 1) * t.part_size);
        }, 0);
        setProgress(rec, entry.size ? bytes / entry.size : 0);
        setFileState(rec, "pending", "Interrupted: " + got + " of " + t.parts + " parts received. Pick the same file again to resume.");
      } else {
        setProgress(rec, 0);
        setFileState(rec, "pending", "Not finished: pick the same file again to upload it.");
      }
    }
    function setFileEntry(entry) {
      var rec = fileRecord(entry.key);
      rec.entry = entry;
      if (!rec.busy) paintEntry(rec);
    }
    function filesSummary() {
      var total = 0, count = 0;
      state.files.forEach(function (rec) {
        if (rec.entry) { total += rec.entry.size || 0; count += 1; }
      });
      var limit = recordLimit();
      $("#files-summary").textContent = count
        ? count + " file" + (count === 1 ? "" : "s") + ", " + humanSize(total) + " of the " + limit.text + " this record may hold."
        : "No files yet. This record may hold " + limit.text + ".";
      $("#limit-text").textContent = limit.text;
    }

    function addFiles(list) {
      var picked = Array.from(list || []);
      if (!picked.length) return;
      if (!canEdit("files")) return;
      var newKeys = picked.map(function (f) { return f.name.trim().normalize("NFC"); });
      var limit = recordLimit(newKeys);
      var granted = state.draft && state.draft.files && state.draft.files.limits;
      var maxFiles = (granted && granted.files) || S.max_files_per_record;
      var total = 0, count = 0;
      state.files.forEach(function (rec, key) {
        if (rec.entry && newKeys.indexOf(key) < 0) { total += rec.entry.size || 0; count += 1; }
      });
      picked.forEach(function (file, i) {
        var key = newKeys[i];
        var existing = state.files.get(key);
        if (existing && (existing.busy || state.queue.some(function (q) { return q.rec === existing; }))) return;
        var rec = fileRecord(key);
        fileError(rec, "");
        if (existing && existing.entry && existing.entry.status === "completed") {
          fileError(rec, key + " is in the record already. Delete it first to replace it.");
          return;
        }
        rec.row.querySelector(".file-size").textContent = humanSize(file.size);
        if (total + file.size > limit.bytes) {
          setFileState(rec, "refused", "Too large");
          fileError(rec, "Not uploaded: the files of " + (limit.aiida ? "a record with an AiiDA archive" : "a record") +
            " may take at most " + limit.text + " (with this file: " + humanSize(total + file.size) + ").");
          if (!existing || !existing.entry) dropLater(rec);
          return;
        }
        if (count + 1 > maxFiles) {
          setFileState(rec, "refused", "Too many files");
          fileError(rec, "Not uploaded: a record may hold at most " + maxFiles + " files; put small files in a zip or tar archive.");
          if (!existing || !existing.entry) dropLater(rec);
          return;
        }
        total += file.size;
        count += 1;
        setFileState(rec, "queued", "Waiting…");
        state.queue.push({ rec: rec, file: file });
      });
      filesSummary();
      runQueue();
    }
    function dropLater(rec) { state.files.delete(rec.key); }

    async function runQueue() {
      if (state.running) return;
      state.running = true;
      try {
        while (state.queue.length) {
          if (!(await ensureDraft())) {
            state.queue.splice(0).forEach(function (q) {
              setFileState(q.rec, "failed", "Not uploaded");
              fileError(q.rec, "The draft could not be created, so the file was not sent. Try again.");
            });
            break;
          }
          var job = state.queue.shift();
          await uploadFile(job.rec, job.file);
        }
      } finally {
        state.running = false;
        renderMissing();
      }
    }

    function xhrPut(url, blob, onProgress, ctrl) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        ctrl.xhrs.add(xhr);
        xhr.open("PUT", url);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-CSRF-Token", csrf());
        xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
        function done(result) { ctrl.xhrs.delete(xhr); resolve(result); }
        xhr.onload = function () {
          var body = {};
          try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
          done({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data: body });
        };
        xhr.onerror = function () { done({ ok: false, status: 0, data: { detail: "the connection failed" } }); };
        xhr.onabort = function () { done({ ok: false, status: -1, aborted: true, data: { detail: "paused" } }); };
        xhr.send(blob);
      });
    }
    function PausedError() { this.message = "paused"; }
    async function putWithRetries(url, blob, onProgress, ctrl, onRetry) {
      for (var attempt = 0; ; attempt++) {
        onProgress(0);
        var res = await xhrPut(url, blob, onProgress, ctrl);
        if (res.ok) return res;
        if (res.aborted || ctrl.paused) throw new PausedError();
        var retryable = res.status === 0 || res.status >= 500 || res.status === 400 || res.status === 408 || res.status === 429;
        if (!retryable || attempt >= U.part_retries) throw new Error(problemText(res));
        if (onRetry) onRetry(attempt + 1);
        await sleep(500 * Math.pow(2, attempt));
        if (ctrl.paused) throw new PausedError();
      }
    }
    async function sha256(file) {
      if (!window.crypto || !crypto.subtle || file.size > U.single_max_bytes) return null;
      try {
        var digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
        return "sha256:" + Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
      } catch (error) {
        return null;
      }
    }

    async function sendWhole(rec, file, ctrl) {
      setFileState(rec, "uploading", "Uploading…");
      rec.checksum = await sha256(file);
      await putWithRetries(fileUrl(rec.key) + "/content", file, function (loaded) {
        setProgress(rec, file.size ? loaded / file.size : 1);
      }, ctrl, function (n) { setFileState(rec, "uploading", "Uploading (retry " + n + ")…"); });
      setProgress(rec, 1);
    }

    async function sendParts(rec, file, entry, ctrl) {
      var t = entry.transfer, size = file.size;
      var received = new Set(t.received || []);
      var partBytes = function (n) { return Math.min(t.part_size, size - (n - 1) * t.part_size); };
      var todo = [];
      for (var n = 1; n <= t.parts; n++) if (!received.has(n)) todo.push(n);
      var doneBytes = 0;
      received.forEach(function (p) { doneBytes += partBytes(p); });
      var doneCount = received.size;
      var inflight = new Map();
      var partsList = rec.row.querySelector(".parts");
      var failure = null;
      function progress() {
        var loaded = doneBytes;
        inflight.forEach(function (v) { loaded += v; });
        setProgress(rec, size ? loaded / size : 1);
        setFileState(rec, "uploading", "Uploading: " + doneCount + " of " + t.parts + " parts done" +
          (received.size ? " (resumed)" : "") + "…");
      }
      async function worker() {
        while (todo.length && !failure && !ctrl.paused) {
          var part = todo.shift();
          var item = el("li", { "class": "part", "data-part": String(part) });
          var label = el("span", {}, "Part " + part + " of " + t.parts);
          var bar = el("progress", { max: "100", value: "0", "aria-label": "Part " + part + " of " + rec.key });
          item.appendChild(label);
          item.appendChild(bar);
          partsList.appendChild(item);
          var start = (part - 1) * t.part_size;
          try {
            await putWithRetries(fileUrl(rec.key) + "/content/" + part, file.slice(start, start + partBytes(part)), function (loaded) {
              inflight.set(part, loaded);
              bar.value = Math.floor((100 * loaded) / partBytes(part));
              progress();
            }, ctrl, function (attempt) { label.textContent = "Part " + part + " of " + t.parts + " (retry " + attempt + ")"; });
            inflight.delete(part);
            doneBytes += partBytes(part);
            doneCount += 1;
            item.remove();
            progress();
          } catch (error) {
            inflight.delete(part);
            item.remove();
            if (!(error instanceof PausedError)) failure = failure || { part: part, error: error };
          }
        }
      }
      progress();
      var workers = [];
      for (var w = 0; w < Math.min(U.parallel_parts, todo.length); w++) workers.push(worker());
      await Promise.all(workers);
      if (ctrl.paused) throw new PausedError();
      if (failure) {
        throw new Error("Part " + failure.part + " failed " + (U.part_retries + 1) + " times (" +
          failure.error.message + "). The other parts are kept: pick the same file again to resume.");
      }
    }

    async function uploadFile(rec, file) {
      var ctrl = { paused: false, xhrs: new Set() };
      rec.busy = true;
      rec.ctrl = ctrl;
      rec.checksum = null;
      rec.row.querySelector(".parts").textContent = "";
      fileError(rec, "");
      setFileState(rec, "uploading", "Starting…");
      announce("Uploading " + rec.key + "…");
      try {
        var entry = rec.entry;
        if (entry) {
          var fresh = await api("GET", fileUrl(rec.key));
          entry = fresh.ok ? fresh.data : fresh.status === 404 || fresh.status === 400 ? null : entry;
        }
        if (entry && entry.status === "completed") throw new Error(rec.key + " is in the record already. Delete it first to replace it.");
        if (entry && entry.size !== file.size) {
          await api("DELETE", fileUrl(rec.key));  // a different file of that name: start again
          entry = null;
        }
        if (!entry) {
          var spec = { key: rec.key, size: file.size };
          if (file.size > U.single_max_bytes) {
            spec.transfer = { type: "M", parts: Math.ceil(file.size / U.part_size), part_size: U.part_size };
          }
          var init = await api("POST", "/api/records/" + enc(state.id) + "/draft/files", [spec]);
          if (!init.ok) {
            var errs = (init.data.errors || []).map(function (e) { return e.message; });
            throw new Error(problemText(init) + (errs.length ? " " + sentence(errs.join("; ")) : ""));
          }
          entry = init.data.entries[0];
        }
        rec.entry = entry;
        filesSummary();
        if (ctrl.paused) throw new PausedError();
        if (entry.transfer) await sendParts(rec, file, entry, ctrl);
        else await sendWhole(rec, file, ctrl);
        setFileState(rec, "committing", entry.transfer ? "Assembling the parts…" : "Checking…");
        var commit = await api("POST", fileUrl(rec.key) + "/commit", rec.checksum ? { checksum: rec.checksum } : {});
        if (!commit.ok) throw new Error(problemText(commit));
        rec.entry = commit.data;
        rec.busy = false;
        paintEntry(rec);
        announce(rec.key + " uploaded.");
      } catch (error) {
        rec.busy = false;
        var latest = await api("GET", fileUrl(rec.key));
        if (latest.ok) { rec.entry = latest.data; paintEntry(rec); }
        else if (latest.status === 404 || latest.status === 400) rec.entry = null;
        if (error instanceof PausedError) {
          setFileState(rec, "paused", "Paused: pick the same file again to resume.");
          announce("Upload of " + rec.key + " paused.");
        } else {
          setFileState(rec, "failed", "Not finished");
          fileError(rec, error.message);
          announce("Upload of " + rec.key + " failed: " + error.message);
        }
      } finally {
        rec.busy = false;
        rec.ctrl = null;
        rec.row.querySelector(".parts").textContent = "";
        filesSummary();
        renderMissing();
      }
    }
    function pause(rec) {
      if (!rec.ctrl) return;
      rec.ctrl.paused = true;
      rec.ctrl.xhrs.forEach(function (xhr) { xhr.abort(); });
    }
    async function deleteFile(rec) {
      if (!window.confirm("Delete " + rec.key + " from this upload?")) return;
      state.queue = state.queue.filter(function (q) { return q.rec !== rec; });
      if (rec.busy) pause(rec);
      if (rec.entry && state.id) {
        var res = await api("DELETE", fileUrl(rec.key));
        if (!res.ok && res.status !== 404) { fileError(rec, "Not deleted: " + problemText(res)); return; }
      }
      var next = rec.row.nextElementSibling || rec.row.previousElementSibling;
      rec.row.remove();
      state.files.delete(rec.key);
      announce(rec.key + " deleted.");
      var focus = next ? next.querySelector("button[data-action=delete-file]") : $("#choose-files");
      if (focus) focus.focus();
      filesSummary();
      renderMissing();
    }

    // -- submitting for review ---------------------------------------------------------------

    function missingItems() {
      var items = [];
      var labels = V.field_labels || {};
      ((state.draft && state.draft.errors) || []).forEach(function (e) {
        if (state.mode === "correction") return;
        // file problems are worked out below from the live upload state, not the last save
        if (e.field === "files" || e.field.indexOf("files.") === 0) return;
        e.messages.forEach(function (m) { items.push({ field: e.field, text: (labels[e.field] || e.field) + ": " + m }); });
      });
      if (state.mode !== "correction") {
        var entries = [];
        state.files.forEach(function (rec) { if (rec.entry) entries.push(rec.entry); });
        if (!entries.length) items.push({ field: "files", text: "Files: add at least one file" });
        entries.forEach(function (entry) {
          if (entry.status !== "completed") items.push({ field: "files." + entry.key, text: entry.key + ": the upload is not finished" });
        });
      }
      return items;
    }
    function renderMissing() {
      var box = $("#missing");
      if (!box) return;
      box.textContent = "";
      if (!state.id) {
        box.appendChild(el("p", { "class": "muted" }, "Save the draft to see what is still missing."));
        return;
      }
      var items = missingItems();
      if (!items.length) {
        box.appendChild(el("p", { "class": "ready" }, "✓ Everything needed is there."));
        return;
      }
      box.appendChild(el("p", {}, "Still missing before you can submit:"));
      var list = el("ul", { "class": "missing-list" });
      items.forEach(function (item) {
        var li = el("li");
        var target = targetFor(item.field);
        var anchor = target && (target.id ? target : target.closest("[id]"));
        if (anchor) {
          var link = el("a", { href: "#" + anchor.id }, item.text);
          link.addEventListener("click", function (e) { e.preventDefault(); anchor.scrollIntoView({ block: "center" }); focusFirst(target); });
          li.appendChild(link);
        } else {
          li.textContent = item.text;
        }
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    async function loadCriteria() {
      var box = $("#criteria");
      if (!box || !state.id || !editableNow()) return;
      var res = await api("GET", "/api/records/" + enc(state.id) + "/review/criteria");
      if (!res.ok) { box.textContent = "The checklist could not be loaded: " + problemText(res); return; }
      box.textContent = "";
      res.data.criteria.forEach(function (c) {
        var id = "crit-" + c.id;
        var wrap = el("div", { "class": "field check" });
        var input = el("input", { type: "checkbox", id: id, "data-criterion": c.id, "data-path": "checklist." + c.id });
        input.addEventListener("change", function () {
          state.serverErrors = state.serverErrors.filter(function (e) { return e.field !== "checklist." + c.id; });
          state.clientErrors.delete(input);
          renderErrors();
        });
        wrap.appendChild(input);
        wrap.appendChild(el("label", { "for": id }, c.text));
        wrap.appendChild(el("p", { "class": "field-error" }));
        wrap.lastChild.hidden = true;
        box.appendChild(wrap);
      });
    }
    async function submitReview() {
      var status = $("#submit-status");
      var busy = Array.from(state.files.values()).some(function (r) { return r.busy; }) || state.queue.length;
      if (busy) { status.textContent = "Wait until the uploads have finished."; return; }
      var boxes = $$("#criteria input[type=checkbox]");
      var unticked = boxes.filter(function (b) { return !b.checked; });
      unticked.forEach(function (b) { state.clientErrors.set(b, "Tick this box to confirm it."); });
      if (!boxes.length || unticked.length) {
        renderErrors();
        status.textContent = boxes.length ? "Tick every box of the checklist first." : "Save the draft first.";
        if (unticked.length) unticked[0].focus();
        return;
      }
      while (state.saving) await state.saving;
      if (anyEditable() && (state.dirty || !state.id)) {
        if (!(await save("submit"))) { status.textContent = "Correct the marked fields first; nothing was submitted."; return; }
      }
      var button = $("#submit-review");
      button.disabled = true;
      status.textContent = "Submitting…";
      var checklist = {};
      boxes.forEach(function (b) { checklist[b.getAttribute("data-criterion")] = true; });
      var res = await api("POST", "/api/records/" + enc(state.id) + "/draft/actions/submit-review",
        { checklist: checklist, comment: $("#review-comment").value });
      if (res.ok) {
        state.requestId = res.data.id;
        state.serverErrors = [];
        enterReview(state.mode === "correction" ? "correction_in_review" : "in_review");
        return;
      }
      button.disabled = false;
      if (res.status === 400 && res.data.errors) {
        state.serverErrors = res.data.errors.map(function (e) { return { field: e.field, message: e.message }; });
        state.showMissing = true;
        var first = renderErrors();
        status.textContent = problemText(res) + " See the marked fields.";
        focusFirst(first);
      } else {
        status.textContent = "Not submitted: " + problemText(res);
      }
    }
    function reviewNotice(correction) {
      var box = el("div", { "class": "notice notice-review", id: "review-notice", tabindex: "-1" });
      box.appendChild(el("h2", {}, correction ? "Correction in review" : "In review"));
      var p = el("p", {}, (correction ? "Your correction" : "Your upload") +
        " is in the moderators' queue; you will get an e-mail when they answer. The form is locked meanwhile. ");
      if (state.requestId) p.appendChild(el("a", { href: "/requests/" + enc(state.requestId), id: "request-link" }, "Open the review request"));
      box.appendChild(p);
      if (state.requestId) {
        var button = el("button", { type: "button", "class": "button-quiet", id: "withdraw-review" }, "Withdraw the request to make changes");
        button.addEventListener("click", function () { withdraw(button); });
        var line = el("p");
        line.appendChild(button);
        box.appendChild(line);
      }
      return box;
    }
    function enterReview(mode, initial) {
      state.mode = mode;
      clearTimeout(state.timer);
      if (initial) {
        showReviewPanel();
        return;
      }
      var badge = $("#deposit-badge");
      badge.className = "badge badge-" + (mode === "in_review" ? "in_review" : "published");
      badge.textContent = mode === "in_review" ? "In review" : "Published";
      var notice = $("#deposit-notice");
      notice.textContent = "";
      var box = reviewNotice(mode === "correction_in_review");
      notice.appendChild(box);
      showReviewPanel();
      setSave("saved", "Submitted for review");
      applyEditability();
      renderErrors();
      box.focus();
    }
    function showReviewPanel() {
      var panel = $("#submit-panel");
      panel.textContent = "";
      var done = el("p", { "class": "ready", id: "review-state" }, "Submitted: in review. ");
      if (state.requestId) done.appendChild(el("a", { href: "/requests/" + enc(state.requestId) }, "Follow the review request"));
      panel.appendChild(done);
    }

    // -- editability, counters, events --------------------------------------------------------

    function applyEditability() {
      $$("[data-edit]", document.getElementById("deposit")).forEach(function (n) {
        var key = n.getAttribute("data-edit");
        n.disabled = !(key === "any" ? anyEditable() : canEdit(key));
      });
      [[creatorsList, "creators"], [refsList, "related_identifiers"], [fundingList, "funding"],
        [keywordsList, "subjects"], [filesList, "files"]].forEach(function (pair) {
        $$("input, select, textarea, button", pair[0]).forEach(function (n) { n.disabled = !canEdit(pair[1]); });
      });
      [["#sec-creators", "creators"], ["#sec-licence", "rights"], ["#sec-funding", "funding"],
        ["#sec-files", "files"]].forEach(function (pair) {
        $(pair[0]).classList.toggle("is-locked", editableNow() && !canEdit(pair[1]));
      });
      ["#resource-type", "#publication-date", "#version-label"].forEach(function (sel) {
        var node = $(sel);
        node.closest(".field").classList.toggle("is-locked", editableNow() && node.disabled);
      });
      var review = !editableNow();
      $$("#submit-panel input, #submit-panel textarea, #submit-panel button").forEach(function (n) { n.disabled = review; });
      $("#dropzone").hidden = !canEdit("files");
      renumber(creatorsList, "creator");
      renumber(refsList, "reference");
      renumber(fundingList, "grant");
    }
    function updateCounter() {
      var n = $("#description").value.trim().length;
      $("#description-count").textContent = n + " character" + (n === 1 ? "" : "s") + (n < 20 ? " (at least 20 needed)" : "");
    }
    function updateLicenceLink() {
      var option = $("#licence").selectedOptions[0];
      var link = $("#licence-link");
      var url = option && option.getAttribute("data-url");
      link.hidden = !url;
      if (url) link.setAttribute("href", url);
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); save("manual"); });
    form.addEventListener("input", function (e) {
      var target = e.target;
      if (target.closest("[data-no-dirty]") || target === keywordInput) return;
      if (target.id === "description") updateCounter();
      state.serverErrors = state.serverErrors.filter(function (err) { return targetFor(err.field) !== target; });
      if (state.clientErrors.has(target)) checkInput(target);
      renderErrors();
      markDirty();
    });
    form.addEventListener("change", function (e) {
      var target = e.target;
      if (target.closest("[data-no-dirty]") || target === keywordInput) return;
      if (target.getAttribute("data-key") === "type") {
        setCreatorType(target.closest("[data-row]"), target.value);
      }
      if (target.getAttribute("data-key") === "scheme") {
        var identifier = field(target.closest("[data-row]"), "identifier");
        if (identifier.value) checkInput(identifier);
      }
      if (target.id === "licence") updateLicenceLink();
      checkInput(target);
      if (target.getAttribute("data-key") === "orcid" && !state.clientErrors.has(target)) {
        lookUpOrcid(target);
      }
      renderErrors();
      markDirty();
    });

    // A valid ORCID iD fills the creator's empty name and affiliation fields from what the
    // instance knows (past records, accounts) or from orcid.org when the operator enabled it.
    function lookUpOrcid(input) {
      var row = input.closest("[data-row]");
      var note = row.querySelector(".orcid-found");
      var orcid = normOrcid(input.value);
      if (note) note.hidden = true;
      if (!orcid) return;
      fetch("/api/people/orcid/" + enc(orcid), { headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (person) {
          if (!person || normOrcid(input.value) !== orcid) return;
          var filled = false;
          if (!val(row, "given_name") && person.given_name) {
            field(row, "given_name").value = person.given_name; filled = true;
          }
          if (!val(row, "family_name") && person.family_name) {
            field(row, "family_name").value = person.family_name; filled = true;
          }
          var sub = row.querySelector("[data-subrow]");
          var first = (person.affiliations || [])[0];
          if (sub && first && !val(sub, "name") && !val(sub, "id")) {
            field(sub, "name").value = first.name || "";
            field(sub, "id").value = first.id || "";
            filled = true;
          }
          if (note) {
            note.textContent = "Found " + [person.given_name, person.family_name].join(" ").trim() +
              " (" + (person.source === "orcid.org" ? "orcid.org" : "known to this site") + ")" +
              (filled ? "; empty fields filled in." : ".");
            note.hidden = false;
          }
          if (filled) markDirty();
        })
        .catch(function () { /* a look-up is a convenience: without it the form works */ });
    }
    creatorsList.addEventListener("click", function (e) { onRowAction(creatorsList, "creator", e); });
    refsList.addEventListener("click", function (e) { onRowAction(refsList, "reference", e); });
    fundingList.addEventListener("click", function (e) { onRowAction(fundingList, "grant", e); });
    $("#add-creator").addEventListener("click", function () { field(addCreator(null), "given_name").focus(); markDirty(); });
    $("#add-reference").addEventListener("click", function () { field(addReference(null), "identifier").focus(); markDirty(); });
    $("#add-funding").addEventListener("click", function () { field(addFunding(null), "funder").focus(); markDirty(); });
    keywordInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") {
        e.preventDefault();
        flushKeywordInput();
      } else if (e.key === "Backspace" && !keywordInput.value && keywords.length) {
        var last = keywordsList.querySelector("li:last-child button");
        if (last) last.focus();
      }
    });
    keywordInput.addEventListener("paste", function () { setTimeout(function () { if (/[,;\n]/.test(keywordInput.value)) flushKeywordInput(); }, 0); });
    $("#add-keyword").addEventListener("click", function () { flushKeywordInput(); keywordInput.focus(); });
    $("#save-draft").addEventListener("click", function () { save("manual"); });
    $("#submit-review").addEventListener("click", submitReview);
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "s" && anyEditable()) { e.preventDefault(); save("manual"); }
    });

    var input = $("#file-input"), zone = $("#dropzone");
    $("#choose-files").addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); if (canEdit("files")) zone.classList.add("is-over"); });
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("is-over");
      if (e.dataTransfer) addFiles(e.dataTransfer.files);
    });
    ["dragover", "drop"].forEach(function (type) {  // a file dropped beside the zone is not opened
      window.addEventListener(type, function (e) { if (!zone.contains(e.target)) e.preventDefault(); });
    });
    window.addEventListener("beforeunload", function (e) {
      var uploading = state.running || Array.from(state.files.values()).some(function (r) { return r.busy; });
      if ((state.dirty && anyEditable()) || uploading) { e.preventDefault(); e.returnValue = ""; }
    });
    async function withdraw(button) {
      button.disabled = true;
      var res = await api("POST", "/api/requests/" + enc(state.requestId) + "/actions/cancel", {});
      if (res.ok) { window.location.reload(); return; }
      button.disabled = false;
      button.insertAdjacentElement("afterend", el("span", { "class": "error", role: "alert" }, problemText(res)));
    }
    var withdrawButton = $("#withdraw-review");
    if (withdrawButton) withdrawButton.addEventListener("click", function () { withdraw(withdrawButton); });

    // -- start ------------------------------------------------------------------------------

    fillForm(state.base);
    if (state.draft) state.draft.files.entries.forEach(setFileEntry);
    applyEditability();
    if (state.mode === "in_review" || state.mode === "correction_in_review") enterReview(state.mode, true);
    if (state.mode === "view") $("#submit-panel").textContent = "Only the owner of this upload can submit it.";
    filesSummary();
    renderErrors();
    renderMissing();
    loadCriteria();
    if (state.draft && anyEditable()) setSave("saved", "All changes saved");
    if (!anyEditable() && state.mode !== "new") setSave("saved", state.mode === "view" ? "Read only" : "Locked while in review");
  }

  function start() {
    initUploadsActions();
    initDeposit();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
