import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathFilter, pathnameOf } from '../../src/core/capture/filter';
import { groupEndpoints, templatePath } from '../../src/core/learn/pathTemplate';

test('pathnameOf handles origin-form and absolute-form targets', () => {
  assert.equal(pathnameOf('/a/b?x=1'), '/a/b');
  assert.equal(pathnameOf('http://h:1/a?x'), '/a');
  assert.equal(pathnameOf('http://h:1'), '/');
  assert.equal(pathnameOf('/'), '/');
});

test('exclude wins over include; no globs stores everything', () => {
  assert.equal(pathFilter()('/anything'), true);
  const f = pathFilter(['/api/**'], ['/api/health', '**/*.js']);
  assert.equal(f('/api/users'), true);
  assert.equal(f('/api/health'), false);
  assert.equal(f('/api/app.js'), false);
  assert.equal(f('/static/x'), false);
});

test('path templates replace ids, uuids, hashes and tokens', () => {
  assert.equal(templatePath('/users/42/orders/7'), '/users/{userId}/orders/{orderId}');
  assert.equal(templatePath('/o/3f1e7a2c-1b2d-4c5e-9f00-aa11bb22cc33'), '/o/{oId}');
  assert.equal(templatePath('/blobs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b'), '/blobs/{blobId}');
  assert.equal(templatePath('/sessions/AbCdEf0123456789xyzXYZ_-'), '/sessions/{sessionId}');
  assert.equal(templatePath('/categories/3/user-profiles/4'), '/categories/{categoryId}/user-profiles/{userProfileId}');
  // Dates are values of the path too; a version or a word with digits is not.
  assert.equal(templatePath('/api/v2/reports/2024-05-01'), '/api/v2/reports/{date}');
  assert.equal(templatePath('/rates/2024-05-01/to/2024-06-30'), '/rates/{date}/to/{date2}');
  assert.equal(templatePath('/files/2024-13-01'), '/files/2024-13-01');
  assert.equal(templatePath('/42/7'), '/{id}/{id2}');
  assert.equal(templatePath('/api/v2/addresses/9'), '/api/v2/addresses/{addressId}');
  assert.equal(templatePath('/users/me'), '/users/me');
  assert.equal(templatePath('/'), '/');
});

test('groupEndpoints merges counts and statuses per template', () => {
  const g = groupEndpoints([
    { method: 'GET', path: '/u/1', protocol: 'http', count: 2, statuses: '200' },
    { method: 'GET', path: '/u/2', protocol: 'http', count: 1, statuses: '404,200' },
    { method: 'POST', path: '/u', protocol: 'http', count: 1, statuses: '201' },
  ]);
  assert.deepEqual(g[0], { method: 'GET', template: '/u/{uId}', protocol: 'http', count: 3, statuses: [200, 404] });
  assert.equal(g.length, 2);
});
