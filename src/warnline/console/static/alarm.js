// The alarm: a sound file played through Web Audio, repeated while an alert waits for
// this user's acknowledgement, muted only for a bounded time; a browser notification per
// new alert; the title flashing while anything waits.
import { t } from "./i18n.js";

const REPEAT_MS = 2500;          // the sound is 0.9 s: a ring every 2.5 s until acknowledged
export const MUTE_MS = 120_000;  // a mute lasts two minutes, never longer

const alarm = { ctx: null, buffer: null, loading: null, timer: null, source: null, mutedUntil: 0, unmuteTimer: null, needed: false };
const $ = (id) => document.getElementById(id);

// Call from a user gesture (the sign-in click, the "Enable sound" button): browsers let
// a page start audio only then. After a reload the context may stay suspended until a click.
export function armAudio() {
  if (!alarm.ctx) {
    alarm.ctx = new AudioContext();
    alarm.loading = fetch("/console/alarm.wav")
      .then((r) => r.arrayBuffer())
      .then((b) => alarm.ctx.decodeAudioData(b))
      .then((buf) => { alarm.buffer = buf; refreshAlarm(); });
    alarm.ctx.onstatechange = () => refreshAlarm();
  }
  if (alarm.ctx.state === "suspended") alarm.ctx.resume().catch(() => {});
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
}

function ring() {
  const { ctx, buffer } = alarm;
  if (!ctx || !buffer || ctx.state !== "running") return;
  const s = ctx.createBufferSource();
  s.buffer = buffer; s.connect(ctx.destination); s.start();
  alarm.source = s;
  s.onended = () => { if (alarm.source === s) alarm.source = null; };
}

function silence() {
  if (alarm.timer) { clearInterval(alarm.timer); alarm.timer = null; }
  if (alarm.source) { alarm.source.stop(); alarm.source = null; }
}

export function muted() { return Date.now() < alarm.mutedUntil; }

// `needed`: some alert waits for this user's acknowledgement.
export function setAlarm(needed) {
  alarm.needed = needed;
  refreshAlarm();
}

function refreshAlarm() {
  const want = alarm.needed && !muted();
  const blocked = want && (!alarm.ctx || alarm.ctx.state !== "running");
  document.body.dataset.alarm = !alarm.needed ? "off" : muted() ? "muted" : blocked ? "blocked" : "on";
  if (want && !alarm.timer && alarm.buffer && !blocked) { ring(); alarm.timer = setInterval(ring, REPEAT_MS); }
  if ((!want || blocked) && alarm.timer) silence();
  $("sound").hidden = !blocked;
  const m = $("mute");
  m.hidden = !alarm.needed && !muted();
  m.textContent = muted() ? t("muted_until", { t: new Date(alarm.mutedUntil).toTimeString().slice(0, 8) }) : t("mute");
  m.setAttribute("aria-pressed", String(muted()));
}

export function toggleMute() {
  clearTimeout(alarm.unmuteTimer);
  if (muted()) { alarm.mutedUntil = 0; } else {
    alarm.mutedUntil = Date.now() + MUTE_MS;
    alarm.unmuteTimer = setTimeout(refreshAlarm, MUTE_MS + 50);
  }
  refreshAlarm();
}

// A new alert ends a mute: the mute was for the alerts already seen.
export function newAlertArrived() {
  if (muted()) { alarm.mutedUntil = 0; clearTimeout(alarm.unmuteTimer); }
}

export function notify(title, body, tag, onclick) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true });
    n.onclick = () => { window.focus(); onclick(); n.close(); };
  } catch (e) { /* a browser that only notifies from a service worker: the title still flashes */ }
}

let flash = null, titles = ["", ""];
// The tab's title blinks while `waiting` alerts need this user.
export function flashTitle(waiting) {
  if (!waiting) { clearInterval(flash); flash = null; titles = ["", ""]; document.title = t("title"); return; }
  const was = titles[0];
  titles = [t("title_alert", { n: waiting }), `(${waiting}) ${t("title")}`];
  if (!flash) flash = setInterval(() => { document.title = document.title === titles[0] ? titles[1] : titles[0]; }, 1000);
  if (was !== titles[0] || !document.title.startsWith(`(${waiting})`)) document.title = titles[0];
}
