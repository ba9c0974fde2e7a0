// LEARN's player: the slide beside the video follows the video's time; a thumbnail seeks the
// video to its slide; ← / → (and PageUp / PageDown) go to the previous / next slide; ?t=
// (seconds) and ?slide= (1-based) open the lecture at a moment or a slide, and the address
// follows what is shown so it can be shared.

const video = document.getElementById("learn-video");
const image = document.getElementById("learn-slide");
const label = document.getElementById("learn-slide-label");
const strip = document.getElementById("learn-strip");
const data = JSON.parse(document.getElementById("learn-data").textContent);
const timings = data.timings; // [[start seconds, page index], ...] ordered by start
const total = data.slides.length;
let segment = -1;

// the segment playing at time t: the last one starting at or before it
function segmentAt(t) {
  let low = 0;
  let high = timings.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (timings[mid][0] <= t + 1e-3) low = mid;
    else high = mid - 1;
  }
  return low;
}

function show(index) {
  if (index === segment || index < 0 || index >= timings.length) return;
  segment = index;
  const page = timings[index][1];
  image.src = data.slides[page];
  const title = data.titles[page];
  image.alt = `Slide ${page + 1}${title ? ": " + title : ""}`;
  image.dataset.slide = String(page + 1);
  label.textContent = `Slide ${page + 1} of ${total}${title ? " — " + title : ""}`;
  for (const button of strip.querySelectorAll("button[data-slide]")) {
    const current = Number(button.dataset.slide) === page + 1;
    button.classList.toggle("current", current);
    if (current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const current = strip.querySelector("button.current");
  if (current && !document.hidden) current.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function seek(seconds) {
  video.currentTime = Math.max(0, seconds);
  show(segmentAt(video.currentTime));
}

// the first time slide n (1-based) is shown
function startOf(n) {
  const found = timings.find(([, page]) => page === n - 1);
  return found ? found[0] : null;
}

function remember() {
  const url = new URL(window.location.href);
  url.searchParams.delete("slide");
  url.searchParams.set("t", String(Math.floor(video.currentTime)));
  window.history.replaceState(null, "", url);
}

video.addEventListener("timeupdate", () => show(segmentAt(video.currentTime)));
video.addEventListener("seeked", () => { show(segmentAt(video.currentTime)); remember(); });
video.addEventListener("pause", remember);

strip.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-slide]");
  if (!button) return;
  const start = startOf(Number(button.dataset.slide));
  if (start !== null) seek(start);
});

function step(by) {
  const next = Math.min(Math.max(segmentAt(video.currentTime) + by, 0), timings.length - 1);
  seek(timings[next][0]);
}
document.getElementById("learn-prev").addEventListener("click", () => step(-1));
document.getElementById("learn-next").addEventListener("click", () => step(1));
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "ArrowRight" || event.key === "PageDown") { event.preventDefault(); step(1); }
  if (event.key === "ArrowLeft" || event.key === "PageUp") { event.preventDefault(); step(-1); }
});

// deep links: ?slide=3 or ?t=75
const params = new URLSearchParams(window.location.search);
function openAt() {
  const slide = Number(params.get("slide"));
  const t = Number(params.get("t"));
  if (slide >= 1 && slide <= total && startOf(slide) !== null) seek(startOf(slide));
  else if (t > 0) seek(Math.min(t, data.duration));
  else show(0);
  document.getElementById("learn-player").dataset.ready = "true";
}
if (video.readyState >= 1) openAt();
else video.addEventListener("loadedmetadata", openAt, { once: true });
show(0);
