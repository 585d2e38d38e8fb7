// The live connection of a plenary page (dashboard, event projector) to its
// event, in the /plenary namespace. Every message is a whole snapshot read
// fresh from the database, so the newest one simply replaces the last.
export function connectPlenary({ eventId, view, onSnapshot, onStatus }) {
  const socket = window.io("/plenary", {
    auth: { event: eventId, view },
    reconnectionDelayMax: 5000,
  });
  onStatus("connecting");
  socket.on("connect", () => onStatus("online"));
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    onStatus(navigator.onLine ? "reconnecting" : "offline");
  });
  socket.on("connect_error", (error) => {
    if (error.data && error.data.code) {
      // Refused (not an organizer of this event): retrying won't help.
      socket.disconnect();
      onStatus("refused", error.data);
    } else {
      onStatus(navigator.onLine ? "reconnecting" : "offline");
    }
  });
  window.addEventListener("offline", () => onStatus("offline"));
  socket.on("plenary", onSnapshot);
  return socket;
}

export function renderCounters(counters) {
  for (const name of ["participants", "organisations", "needs", "dots"]) {
    const element = document.getElementById("count-" + name);
    if (element && counters && counters[name] !== undefined) element.textContent = counters[name].toLocaleString();
  }
}
