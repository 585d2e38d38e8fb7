// The participant's optional profile: a display name and an organisation.
// It has its own connection, opened when the section is first opened, with
// the same identity as the page's (the device cookie): the server knows the
// participant from it, never from what the page says.
const root = document.getElementById("profile");
const form = document.getElementById("profile-form");
const nameInput = document.getElementById("profile-name");
const filter = document.getElementById("profile-filter");
const list = document.getElementById("profile-organisations");
const noMatch = document.getElementById("profile-no-match");
const statusLine = document.getElementById("profile-status");
const strings = root.dataset;
let socket = null;

function say(text) {
  statusLine.textContent = text;
}

function option(id, label, checked) {
  const wrapper = document.createElement("div");
  wrapper.className = "check";
  const input = document.createElement("input");
  input.type = "radio";
  input.name = "organisation";
  input.value = id === null ? "" : String(id);
  input.id = `profile-organisation-${id === null ? "none" : id}`;
  input.checked = checked;
  const text = document.createElement("label");
  text.htmlFor = input.id;
  text.textContent = label;
  wrapper.append(input, text);
  return wrapper;
}

function show(profile, organisations) {
  nameInput.value = profile.name || "";
  const chosen = profile.organisation ? profile.organisation.id : null;
  list.replaceChildren(
    option(null, strings.none, chosen === null),
    ...organisations.map((o) => option(o.id, o.name, o.id === chosen)),
  );
  applyFilter();
}

function applyFilter() {
  const wanted = filter.value.trim().toLocaleLowerCase();
  let shown = 0;
  for (const row of list.children) {
    const input = row.querySelector("input");
    const visible = !wanted || input.checked || row.textContent.toLocaleLowerCase().includes(wanted);
    row.hidden = !visible;
    if (visible && input.value) shown += 1;
  }
  noMatch.hidden = !wanted || shown > 0;
}

function connect() {
  socket = window.io({ auth: { table: root.dataset.code, view: "phone" }, reconnectionDelayMax: 5000 });
  socket.on("connect", () => {
    socket.emit("get_profile", {}, (ack) => {
      if (ack.ok) {
        show(ack.profile, ack.organisations);
        say("");
      } else {
        say(ack.error.message);
      }
    });
  });
  socket.on("connect_error", (error) => {
    if (error.data && error.data.message) {
      socket.disconnect();
      say(error.data.message);
    }
  });
}

root.addEventListener("toggle", () => {
  if (root.open && socket === null) {
    say(strings.loading);
    connect();
  }
});

filter.addEventListener("input", applyFilter);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!socket || !socket.connected) {
    say(strings.offline);
    return;
  }
  const checked = list.querySelector("input:checked");
  const organisation = checked && checked.value ? Number(checked.value) : null;
  say(strings.saving);
  socket.emit("set_profile", { name: nameInput.value, organisation }, (ack) => {
    if (ack.ok) {
      nameInput.value = ack.profile.name || "";
      say(strings.saved);
    } else {
      say(ack.error.message);
    }
  });
});
