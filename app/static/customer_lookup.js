// Customer search on the complaint form: as the user types, ask the server for matching
// customers, show them in the field's <datalist>, and carry the picked one's id in the hidden
// customer_id field. Typing anything that is not a suggested name clears the id again (the
// server then resolves the typed name itself, as it does without JS).
(function () {
  "use strict";
  var list = document.querySelector("datalist[data-lookup]");
  if (!list) return;
  var input = document.getElementById(list.getAttribute("data-input"));
  var hidden = document.getElementById(list.getAttribute("data-id-field"));
  if (!input || !hidden) return;
  var url = list.getAttribute("data-lookup");
  var MIN_LENGTH = 2;
  var known = new Map(); // exact name -> id, from every answer so far
  var timer = null;
  var controller = null;
  var lastQuery = null;

  // What the page came with: the saved customer (edit) and any server-side suggestions.
  if (input.value && hidden.value) known.set(input.value, hidden.value);
  list.querySelectorAll("option[data-id]").forEach(function (option) {
    known.set(option.value, option.getAttribute("data-id"));
  });

  function syncId() {
    hidden.value = known.get(input.value) || "";
  }

  function show(customers) {
    var options = customers.map(function (customer) {
      var option = document.createElement("option");
      option.value = customer.name; // a DOM property, never parsed as HTML
      return option;
    });
    list.replaceChildren.apply(list, options);
  }

  function lookUp() {
    var query = input.value.trim();
    if (query.length < MIN_LENGTH || query === lastQuery) return;
    lastQuery = query;
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(url + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        return response.ok ? response.json() : { customers: [] };
      })
      .then(function (data) {
        data.customers.forEach(function (customer) {
          known.set(customer.name, String(customer.id));
        });
        show(data.customers);
        syncId();
      })
      .catch(function () {
        // Aborted by a newer keystroke, or offline: the server still resolves the name.
      });
  }

  input.addEventListener("input", function () {
    syncId();
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 150);
  });
})();
