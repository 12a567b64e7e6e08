import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { makeRootCa, pkiDir } from '../helpers/openssl.js';
import { describeBrowser } from './helpers/browser.js';
import { useConsoleFixture } from './helpers/fixture.js';
import { argAfter, commandsIn, runShell, substituteFiles } from './helpers/shell-commands.js';

/**
 * A CA registered from the console with proof of possession (issues 5 and 9): the operator pastes
 * the CA certificate, asks for a verification code, runs the openssl commands the console shows
 * (with their own CA file names), pastes the resulting certificate, and the CA is verified.
 */
const PKI = '/api/management/v1/pki';

for (const dialect of dialects()) {
  describeBrowser(
    `console: CA registration with proof of possession (${dialect})`,
    () => {
      const fx = useConsoleFixture(dialect);

      it('registers a CA, proves possession with the commands shown, and the CA is verified', async () => {
        const { server } = fx;
        const dir = pkiDir();
        const ca = makeRootCa(dir, 'operator-root', { cn: `Operator Root ${dialect}` });

        const c = await fx.openLoggedIn();
        await c.goto('/certificates');
        await c.heading();
        await c.screenshot('certificates-empty');
        await c.page.locator('[data-testid=ca-register-open]').click();
        await c.page.locator('[data-testid=ca-pem]').fill(ca.pem);
        await c.screenshot('ca-register');
        await c.page.locator('[data-testid=ca-submit]').click();
        await c.page.waitForURL(/\/certificates\/cas\/[^/?#]+$/);
        const caId = new URL(c.page.url()).pathname.split('/').pop() as string;
        await c.heading();
        const status = c.page.locator('[data-testid=ca-status]');
        await expect
          .poll(async () => ((await status.textContent()) ?? '').toLowerCase())
          .toContain('unverified');

        await c.page.locator('[data-testid=ca-verification-code]').click();
        const codeEl = c.page.locator('[data-testid=verification-code]');
        await codeEl.waitFor();
        const code = ((await codeEl.textContent()) ?? '').trim();
        expect(code).toMatch(/^\S{8,}$/);
        const shown = (await c.page.locator('[data-testid=openssl-commands]').textContent()) ?? '';
        await c.screenshot('ca-verification');

        // The commands as shown, ready to run: they carry the code; only the CA's files are ours.
        expect(shown).toContain(code);
        const commands = commandsIn(shown);
        expect(commands.length, shown).toBeGreaterThan(0);
        const signing = commands.find((cmd) => /\s-CAkey\s/.test(cmd));
        expect(signing, `a command signs with -CA/-CAkey:\n${shown}`).toBeDefined();
        const outFile = argAfter(signing as string, '-out');
        expect(outFile, `the signing command writes -out <file>:\n${shown}`).toBeDefined();
        const work = pkiDir();
        for (const cmd of commands) runShell(substituteFiles(cmd, { '-CAkey': ca.key, '-CA': ca.crt }), work);
        const proofPath = join(work, outFile as string);
        expect(existsSync(proofPath), `${outFile} written by the commands`).toBe(true);
        const proof = readFileSync(proofPath, 'utf8');
        expect(runShell(`openssl x509 -in '${proofPath}' -noout -subject`, work)).toContain(code);

        await c.page.locator('[data-testid=verification-pem]').fill(proof);
        await c.page.locator('[data-testid=verification-submit]').click();
        await expect
          .poll(async () => ((await status.textContent()) ?? '').toLowerCase(), { timeout: 15_000 })
          .toMatch(/(^|[^n])verified/);
        expect(((await status.textContent()) ?? '').toLowerCase()).not.toContain('unverified');
        expect(await c.page.locator('[data-testid=error]').count()).toBe(0);
        await c.screenshot('ca');

        const stored = await server.apiOk<{ status: string }>('GET', `${PKI}/cas/${caId}`);
        expect(stored.status).toBe('verified');
      });
    },
    { tools: ['/usr/bin/openssl'] },
  );
}
