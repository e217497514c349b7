// The search index is every page's largest download, and most readers never search: Material's
// bundle requests it as soon as it runs, so this module (loaded before the bundle, and run
// before it: module and deferred scripts run in document order) lets the request open as usual
// but sends it only when the reader reaches for search (focus on the search field, by click,
// tap or the "/", "s", "f" shortcuts, or the pointer over it), or at once when the address asks
// for a search or a highlight (?q=, ?h=). Material's query waits for the index, so a query typed
// meanwhile runs as soon as it arrives.
const INDEX = /\/search\/search_index\.json$/;
const { open, send } = XMLHttpRequest.prototype;
const held = [];
let released = /[?&][qh]=/.test(location.search);

const release = () => {
  if (released) return;
  released = true;
  for (const [request, args] of held.splice(0)) send.apply(request, args);
};

XMLHttpRequest.prototype.open = function (method, url, ...rest) {
  this.searchIndex = INDEX.test(String(url));
  return open.call(this, method, url, ...rest);
};
XMLHttpRequest.prototype.send = function (...args) {
  if (this.searchIndex && !released) held.push([this, args]);
  else send.apply(this, args);
};

const wantsSearch = (event) => event.target.closest?.(".md-search, [for=__search]") && release();
addEventListener("focusin", wantsSearch);
addEventListener("pointerover", wantsSearch);
