// Shared harness of the browser tests: a letterkit server on 127.0.0.1
// port 0 with its own folder, officers file, outbox and audit log; headless
// Chromium (Debian's) driven by playwright-core; axe-core on every page;
// screenshots under target/e2e-screenshots/.

import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { chromium } = require('playwright-core')
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

const here = dirname(fileURLToPath(import.meta.url))
export const repo = resolve(here, '..', '..')
export const bin = process.env.LETTERKIT_BIN || join(repo, 'target', 'debug', 'letterkit')
export const shots = join(repo, 'target', 'e2e-screenshots')
mkdirSync(shots, { recursive: true })

export const PASSWORD = 'correct horse battery staple'

/** Makes an officers file line with `letterkit serve --new-officer`. */
function officerLine (id, roles) {
  return execFileSync(bin, ['serve', '--new-officer', id, '--roles', roles], {
    input: PASSWORD + '\n'
  }).toString()
}

/**
 * Starts `letterkit serve` with the web pages in a fresh folder. `now` is
 * the server's clock (the outbox's cut-off depends on it).
 */
export async function startServer ({ now = '2026-03-02T10:00' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'letterkit-e2e-'))
  mkdirSync(join(dir, 'packs'))
  const officers = officerLine('j.officer', 'packs,render,queue,cancel') +
    officerLine('k.reader', 'render')
  writeFileSync(join(dir, 'officers.txt'), officers)
  const args = ['serve', '--officers', join(dir, 'officers.txt'), '--packs', join(dir, 'packs'),
    '--outbox', join(dir, 'outbox.sqlite'), '--audit-log', join(dir, 'audit.jsonl'),
    '--bind', '127.0.0.1:0', '--now', now]
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start:\n' + log)), 20000)
    child.stderr.on('data', (b) => {
      log += b.toString()
      const m = log.match(/"msg":"listening","address":"(http:\/\/[^"]+)"/)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
    child.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${log}`)))
  })
  return {
    url,
    dir,
    log: () => log,
    audit: () => readFileSync(join(dir, 'audit.jsonl'), 'utf8'),
    async stop () {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.on('exit', resolve))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Headless Chromium with a fresh profile. */
export async function startBrowser ({ javaScript = true } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'letterkit-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    javaScriptEnabled: javaScript,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run']
  })
  const page = context.pages()[0] || await context.newPage()
  page.setDefaultTimeout(8000)
  const problems = []
  page.on('console', (m) => {
    // A Content-Security-Policy refusal means a page broke its own policy.
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(String(e)))
  return {
    context,
    page,
    problems,
    async stop () {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/** Runs axe-core at WCAG 2.2 AA on the page: 0 violations. */
export async function axe (page, name) {
  await page.evaluate(axeSource)
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }
  }))
  const found = result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => '    ' + n.target.join(' ') + ': ' + n.failureSummary).join('\n'))
  assert.deepEqual(found, [], `axe-core on ${name} (${page.url()})`)
}

/** A screenshot of the page as it is now. */
export async function shot (page, name) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: true })
}

/** Screenshot and accessibility check of the page as it is now. */
export async function look (page, name) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: true })
  await axe(page, name)
}

/** Signs in as `id` through the sign-in page. */
export async function signIn (page, url, id = 'j.officer') {
  await page.goto(url + '/sign-in')
  await page.fill('#officer', id)
  await page.fill('#password', PASSWORD)
  await page.click('button:has-text("Sign in")')
}

/** Fills a GOV.UK date input `id` with an ISO date. */
export async function fillDate (page, id, iso) {
  const [y, m, d] = iso.split('-')
  await page.fill(`#${id}-day`, String(Number(d)))
  await page.fill(`#${id}-month`, String(Number(m)))
  await page.fill(`#${id}-year`, y)
}

/** The text of a PDF (pdftotext), with white space squashed. */
export function pdfText (bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'letterkit-pdf-'))
  const f = join(dir, 'f.pdf')
  writeFileSync(f, bytes)
  const text = execFileSync('pdftotext', ['-layout', f, '-']).toString()
  rmSync(dir, { recursive: true, force: true })
  return text.replace(/\s+/g, ' ')
}

/** The page count of a PDF (pdfinfo). */
export function pdfPages (bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'letterkit-pdf-'))
  const f = join(dir, 'f.pdf')
  writeFileSync(f, bytes)
  const info = execFileSync('pdfinfo', [f]).toString()
  rmSync(dir, { recursive: true, force: true })
  return Number(info.match(/Pages:\s+(\d+)/)[1])
}

/** A one-page PDF made by letterkit itself (a rendered letter), to upload. */
export function samplePdf () {
  const dir = mkdtempSync(join(tmpdir(), 'letterkit-sample-'))
  execFileSync(bin, ['render', join(repo, 'fixtures/requests/valid/cmsl5502-payments/request.yaml'), '--out', join(dir, 'x.pdf')], { stdio: 'pipe' })
  const bytes = readFileSync(join(dir, 'x.pdf'))
  rmSync(dir, { recursive: true, force: true })
  return bytes
}
