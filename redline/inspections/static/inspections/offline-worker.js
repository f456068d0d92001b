// Keeps the phone checklist usable without a connection: pages under /inspections/ and the
// static files they use are fetched from the network when it answers and kept; without a
// connection the kept copy is served. API calls are never cached (run.js keeps its own
// outbox and sends it when the connection returns).
const CACHE = "redline-inspections-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const page = url.pathname.startsWith("/inspections/");
  const asset = url.pathname.startsWith("/static/");
  if (!page && !asset) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((kept) => kept || Response.error())),
  );
});
