// An officer signs in (a wrong password first), sees the start page, and
// signs out; an officer without the packs role is refused the packs pages.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, startBrowser, look, signIn, PASSWORD } from './helpers.mjs'

test('an officer signs in, is refused with a wrong password, and signs out', { timeout: 240000 }, async () => {
  const server = await startServer()
  const b = await startBrowser()
  try {
    const { page } = b
    await page.goto(server.url + '/packs')
    assert.match(page.url(), /\/sign-in$/, 'no session: sent to the sign-in page')
    await look(page, 'sign-in')

    await page.fill('#officer', 'j.officer')
    await page.fill('#password', 'not the password')
    await page.click('button:has-text("Sign in")')
    assert.equal(await page.textContent('.govuk-error-summary__list a'), 'The officer id or the password is not right')
    await look(page, 'sign-in-error')

    await page.fill('#password', PASSWORD)
    await page.click('button:has-text("Sign in")')
    assert.match(page.url(), /\/packs$/)
    assert.match(await page.textContent('.lk-signed-in'), /Signed in as\s+j\.officer/)
    await look(page, 'packs-empty')

    await page.click('button:has-text("Sign out")')
    assert.match(page.url(), /\/sign-in$/)
    await page.goto(server.url + '/letters')
    assert.match(page.url(), /\/sign-in$/, 'signed out: the session is gone')

    await signIn(page, server.url, 'k.reader')
    assert.match(page.url(), /\/letters$/, 'an officer without packs starts at the letters')
    await page.goto(server.url + '/packs')
    assert.equal(await page.textContent('h1'), 'You cannot use this page')
    await look(page, 'forbidden')

    const audit = server.audit()
    assert.match(audit, /"officer":"j.officer","action":"sign-in","target":null,"outcome":"refused"/)
    assert.match(audit, /"officer":"j.officer","action":"sign-in","target":null,"outcome":"ok"/)
    assert.match(audit, /"officer":"j.officer","action":"sign-out"/)
    assert.ok(!audit.includes(PASSWORD) && !audit.includes('not the password'), 'no password in the audit log')
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})
