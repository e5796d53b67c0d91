/* Full-screen photo viewer for the gallery markup of docs/THEME.md (progressive
   enhancement: without this script every thumbnail links to its large JPEG).
   A click on a[data-viewer] inside [data-gallery], or a URL ending in a gallery
   figure's id (#anh-3), opens one shared <dialog>. Arrows and swipes wrap around. */
(function () {
  'use strict';
  var doc = document;
  var root = doc.documentElement;
  if (typeof HTMLDialogElement !== 'function' || !('showModal' in HTMLDialogElement.prototype)) return;

  var dialog, stage, img, caption, counter, prevBtn, nextBtn, closeBtn;
  var links = []; // the a[data-viewer] of the gallery being viewed
  var index = 0;
  var opener = null; // the thumbnail link that opened the viewer: focus returns there
  var keepHash = ''; // a non-photo hash the page had before opening, restored on close
  var preload = null;
  var swipe = null;

  function make(tag, cls, parent) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    if (parent) parent.appendChild(el);
    return el;
  }

  function button(cls, label, icon, parent) {
    var b = make('button', 'viewer-btn ' + cls, parent);
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.title = label;
    make('span', '', b).textContent = icon;
    b.firstChild.setAttribute('aria-hidden', 'true');
    return b;
  }

  function build() {
    dialog = make('dialog', 'viewer');
    var bar = make('div', 'viewer-bar', dialog);
    counter = make('p', 'viewer-count', bar);
    counter.setAttribute('aria-live', 'polite');
    closeBtn = button('viewer-close', 'Đóng', '×', bar);
    stage = make('div', 'viewer-stage', dialog);
    img = make('img', 'viewer-img', stage);
    img.alt = '';
    prevBtn = button('viewer-prev', 'Ảnh trước', '‹', stage);
    nextBtn = button('viewer-next', 'Ảnh sau', '›', stage);
    caption = make('p', 'viewer-caption', dialog);
    doc.body.appendChild(dialog);

    closeBtn.addEventListener('click', function () { dialog.close(); });
    prevBtn.addEventListener('click', function () { step(-1); });
    nextBtn.addEventListener('click', function () { step(1); });
    dialog.addEventListener('close', closed);
    // Focus dropped to nothing while open (as when the browser handles a #anh-N it was
    // loaded with, after this script ran): put it back on the close button.
    dialog.addEventListener('focusout', function (e) {
      if (!e.relatedTarget) {
        setTimeout(function () {
          if (dialog.open && (!doc.activeElement || doc.activeElement === doc.body)) closeBtn.focus();
        }, 0);
      }
    });
    doc.addEventListener('keydown', function (e) {
      if (!dialog.open || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      var d = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (e.key === 'Home') d = -index;
      if (e.key === 'End') d = links.length - 1 - index;
      if (d === undefined) return;
      e.preventDefault();
      step(d);
    });
    // Swipe: touch and pen only; the stage has touch-action: pan-y pinch-zoom, so the
    // browser keeps vertical pans and pinches (and sends pointercancel for them).
    stage.addEventListener('pointerdown', function (e) {
      swipe = e.pointerType !== 'mouse' && e.isPrimary ? { id: e.pointerId, x: e.clientX, y: e.clientY } : null;
    });
    stage.addEventListener('pointerup', function (e) {
      var s = swipe;
      swipe = null;
      if (!s || s.id !== e.pointerId) return;
      var dx = e.clientX - s.x;
      var dy = e.clientY - s.y;
      if (Math.abs(dx) >= 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
    });
    stage.addEventListener('pointercancel', function () { swipe = null; });
  }

  function figureOf(a) {
    return a.closest('figure');
  }

  // The thumbnail link of the gallery figure a hash names, or null.
  function linkFor(hash) {
    if (!hash || hash.length < 2) return null;
    var id;
    try { id = decodeURIComponent(hash.slice(1)); } catch (e) { return null; }
    var fig = doc.getElementById(id);
    if (!fig || !fig.closest('[data-gallery]')) return null;
    return fig.querySelector('a[data-viewer]');
  }

  function setUrl(url) {
    try { history.replaceState(history.state, '', url); } catch (e) { /* sandboxed or file: page */ }
  }

  function step(d) {
    if (d && links.length > 1) show(index + d);
  }

  function show(i) {
    var n = links.length;
    index = ((i % n) + n) % n;
    var a = links[index];
    var thumb = a.querySelector('img');
    var fig = figureOf(a);
    var cap = fig && fig.querySelector('figcaption');
    // A fresh <img> each time: changing srcset in place keeps showing the old photo
    // (next to the new caption) until the new one has loaded.
    var next = make('img', 'viewer-img');
    next.alt = thumb ? thumb.alt : '';
    next.decoding = 'async';
    next.draggable = false;
    if (a.dataset.width && a.dataset.height) {
      next.width = +a.dataset.width;
      next.height = +a.dataset.height;
    }
    if (a.dataset.srcset) {
      next.sizes = '100vw';
      next.srcset = a.dataset.srcset;
      next.addEventListener('error', function () {
        // A variant the browser cannot decode: fall back to the large JPEG (src).
        if (next.hasAttribute('srcset')) {
          next.removeAttribute('srcset');
          next.removeAttribute('sizes');
        }
      });
    }
    next.src = a.href;
    stage.replaceChild(next, img);
    img = next;
    caption.textContent = cap ? cap.textContent.trim() : '';
    caption.hidden = !caption.textContent;
    counter.textContent = (index + 1) + '/' + n;
    if (fig && fig.id) setUrl('#' + fig.id);
    if (n > 1) {
      var b = links[(index + 1) % n];
      preload = new Image();
      preload.decoding = 'async';
      if (b.dataset.srcset) {
        preload.sizes = '100vw';
        preload.srcset = b.dataset.srcset;
      } else {
        preload.src = b.href;
      }
    }
  }

  function open(a) {
    var gallery = a.closest('[data-gallery]');
    links = Array.prototype.slice.call(gallery.querySelectorAll('a[data-viewer]'));
    if (!dialog) build();
    if (!dialog.open) {
      keepHash = linkFor(location.hash) ? '' : location.hash;
      opener = a;
      var h = gallery.querySelector('h2,h3');
      dialog.setAttribute('aria-label', (h && h.textContent.trim()) || 'Xem ảnh');
      prevBtn.hidden = nextBtn.hidden = links.length < 2;
      dialog.showModal();
      root.classList.add('viewer-open');
    }
    show(links.indexOf(a));
    closeBtn.focus();
  }

  function closed() {
    root.classList.remove('viewer-open');
    swipe = preload = null;
    setUrl(location.pathname + location.search + keepHash);
    if (opener && opener.isConnected) opener.focus();
  }

  doc.addEventListener('click', function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    var a = e.target.closest ? e.target.closest('a[data-viewer]') : null;
    if (!a || !a.closest('[data-gallery]')) return;
    e.preventDefault();
    open(a);
  });

  function fromHash() {
    var a = linkFor(location.hash);
    if (a && !(dialog && dialog.open && links[index] === a)) open(a);
  }
  window.addEventListener('hashchange', fromHash);
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', fromHash);
  else fromHash();
})();
