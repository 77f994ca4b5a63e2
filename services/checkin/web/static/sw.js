// Service worker of the check-in page: the page's own files (sign-in's signin.js and the OIDC
// client among them), network first, so the page opens without a connection too (its offline queue then keeps the check-ins). API calls
// (/v1/…, /app/api/…) are never cached or answered from here.

const CACHE = "hadir-checkin-v5";
const SHELL = ["./", "style.css", "app.js", "i18n.js", "lang.js", "queue.js", "mydata.js", "schedule.js", "verdict.js",
  "map.js", "views.js", "policy.js", "signin.js", "oidc-client-ts.min.js", "leaflet/leaflet.js", "leaflet/leaflet.css",
  "icon.svg", "manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)
      || url.pathname.startsWith(`${scope.pathname}api/`)) {
    return;
  }
  const shell = url.search ? new Request(url.origin + url.pathname) : event.request; // ?code=… → the page
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(shell, copy));
        }
        return response;
      })
      .catch(() => caches.match(shell).then((hit) => hit || Response.error())),
  );
});
