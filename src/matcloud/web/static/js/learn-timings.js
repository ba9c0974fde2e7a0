// LEARN's timing editor: the rows are the moments slides appear; "Slide starts here" (or S)
// adds the chosen slide at the video's current time; a row's time and slide can be edited or the
// row removed; "Save" sends the whole list (PUT, with the page's CSRF token).

const video = document.getElementById("learn-video");
const data = JSON.parse(document.getElementById("learn-data").textContent);
const body = document.querySelector("#learn-rows tbody");
const choice = document.getElementById("learn-page");
const preview = document.getElementById("learn-preview");
const status = document.getElementById("learn-status");
let rows = data.timings.map(([start, page]) => [start, page]);

const clock = (t) => `${Math.floor(t / 60)}:${(t % 60).toFixed(1).padStart(4, "0")}`;

function render() {
  rows.sort((a, b) => a[0] - b[0]);
  body.replaceChildren(...rows.map(([start, page], i) => {
    const tr = document.createElement("tr");
    const time = document.createElement("input");
    Object.assign(time, { type: "number", step: "0.1", min: "0", value: String(start) });
    time.setAttribute("aria-label", `Start of row ${i + 1} in seconds`);
    time.addEventListener("change", () => { rows[i][0] = Number(time.value); render(); });
    const select = choice.cloneNode(true);
    select.removeAttribute("id");
    select.value = String(page);
    select.setAttribute("aria-label", `Slide of row ${i + 1}`);
    select.addEventListener("change", () => { rows[i][1] = Number(select.value); });
    const go = document.createElement("button");
    Object.assign(go, { type: "button", className: "button button-small", textContent: "Play" });
    go.addEventListener("click", () => { video.currentTime = rows[i][0]; });
    const drop = document.createElement("button");
    Object.assign(drop, { type: "button", className: "button button-small", textContent: "Remove" });
    drop.disabled = i === 0;
    drop.addEventListener("click", () => { rows.splice(i, 1); render(); });
    const cells = [time, select, [go, drop]].map((content) => {
      const td = document.createElement("td");
      td.append(...[content].flat());
      return td;
    });
    tr.append(...cells);
    return tr;
  }));
}

function mark() {
  const t = Math.round(video.currentTime * 10) / 10;
  const page = Number(choice.value);
  rows = rows.filter(([start]) => Math.abs(start - t) > 0.05);
  rows.push([t, page]);
  render();
  status.textContent = `Slide ${page + 1} starts at ${clock(t)} (not saved yet).`;
}

choice.addEventListener("change", () => { preview.src = data.slides[Number(choice.value)]; });
video.addEventListener("timeupdate", () => { document.getElementById("learn-time").textContent = clock(video.currentTime); });
document.getElementById("learn-mark").addEventListener("click", mark);
document.addEventListener("keydown", (event) => {
  if (event.key.toLowerCase() === "s" && !event.target.closest("input, select, textarea")) mark();
});
document.getElementById("learn-save").addEventListener("click", async () => {
  rows.sort((a, b) => a[0] - b[0]);
  const response = await fetch(`/api/learn/lectures/${encodeURIComponent(data.slug)}/timings`, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-csrf-token": data.csrf },
    body: JSON.stringify({ timings: rows }),
  });
  const answer = await response.json();
  status.textContent = response.ok ? `Saved: ${answer.timings.length} changes.` : `Not saved: ${answer.detail}`;
  if (response.ok) rows = answer.timings;
  render();
});
render();
document.getElementById("learn-timings").dataset.ready = "true";
