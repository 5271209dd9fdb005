'use strict';
// The login page's only script: say so after a failed attempt (the server redirects with ?failed=1).
if (new URLSearchParams(location.search).has('failed')) document.getElementById('failed').hidden = false;
