import { UsageError } from '../../core/errors';
import type { ParsedCommand } from '../args';
import { JSON_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const ACTIONS = ['init', 'show', 'rotate'] as const;
export const CA_DIR_FLAG = { type: 'string', value: 'DIR', default: '.chaos/ca', description: 'where the CA key and certificate live' } as const;

export const caCommand: Command = {
  spec: {
    name: 'ca',
    summary: 'Make, show and replace the local certificate authority that HTTPS capture signs its certificates with.',
    positionals: [{ name: 'action', required: true, description: `one of: ${ACTIONS.join(', ')}` }],
    flags: { dir: CA_DIR_FLAG, json: JSON_FLAG },
    details: [
      'Examples:',
      '  chaos-testing ca init      # .chaos/ca/ca.crt and ca.key (mode 0600, added to .gitignore in a git repository)',
      '  chaos-testing ca show      # the certificate, its fingerprint, and how to trust it per client',
      '  NODE_EXTRA_CA_CERTS=.chaos/ca/ca.crt node app.js',
      '  chaos-testing ca rotate    # a new key and certificate; the old certificate stays as ca.crt.old',
    ].join('\n'),
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const action = positionals[0] as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown ca action '${positionals[0]}'; use one of: ${ACTIONS.join(', ')}`);
    const { initCa, loadCa, rotateCa } = await import('../../core/tls/ca');
    const dir = String(flags.dir);
    const json = (ca: import('../../core/tls/ca').LocalCa, extra: object): string =>
      JSON.stringify({ certPath: ca.certPath, keyPath: ca.keyPath, fingerprint256: ca.fingerprint256, notAfter: ca.notAfter.toISOString(), ...extra });
    switch (action) {
      case 'init': {
        const { ca, created, gitignore } = await initCa(dir);
        if (flags.json) io.out(json(ca, { created, ...(gitignore ? { gitignore } : {}) }));
        else {
          io.out(`${created ? 'created' : 'already there:'} ${ca.certPath} (key ${ca.keyPath}, mode 0600)`);
          if (gitignore) io.out(`added ${dir} to ${gitignore}`);
          io.out("next: 'chaos-testing ca show' prints how to trust it");
        }
        return 0;
      }
      case 'rotate': {
        const ca = await rotateCa(dir);
        if (flags.json) io.out(json(ca, { rotated: true }));
        else io.out(`new CA ${ca.certPath} (sha256 ${ca.fingerprint256}); clients trusting the old one (ca.crt.old) must trust this one instead`);
        return 0;
      }
      case 'show': {
        const ca = await loadCa(dir);
        if (!ca) throw new UsageError(`no CA in ${dir}: run 'chaos-testing ca init' first`);
        const { certifiBundle, trustSteps, trustText } = await import('../../core/tls/trust');
        const steps = trustSteps(ca, { certifi: certifiBundle() });
        io.out(flags.json ? json(ca, { trust: steps }) : trustText(ca, steps, false));
        return 0;
      }
    }
  },
};
