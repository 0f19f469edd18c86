// letterkit's web pages: GOV.UK Frontend's enhancements (the pages work
// without them). Loaded as a module from this server (no inline script, so
// the Content-Security-Policy can forbid inline script).
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
