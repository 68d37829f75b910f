import { lineHits, type Rule } from './rule';

export const accessLogOff: Rule = {
  id: 'access-log-off',
  check: 16,
  title: 'Access logging turned off',
  severity: 'medium',
  remediation: 'Keep access logs on (`access_log /var/log/nginx/access.log combined;`) and ship them to central, retained storage.',
  files: {
    kinds: ['nginx'],
    scan: (file) => lineHits(file.text, /^\s*access_log\s+off\s*;/, () => ({ message: `${file.path} turns access logging off`, evidence: 'access_log off;' })),
  },
};
