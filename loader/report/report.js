(function () {
  var form = document.getElementById('jump');
  if (!form) return;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = form.elements.c.value.trim().replace(/^#/, '');
    var page = (window.CLUSTER_PAGES || {})[v];
    var msg = document.getElementById('jump-msg');
    if (page) { msg.textContent = ''; location.href = page + '#cluster-' + v; }
    else { msg.textContent = 'no cluster #' + v; }
  });
})();
