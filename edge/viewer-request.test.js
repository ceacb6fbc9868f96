// Runs the real CloudFront Function file against edge/testdata/vectors.json, the table package
// edge's Go test passes too. Run: node --test edge/ (go test ./edge runs it as well).
// The file is loaded the way CloudFront holds it: the placeholder replaced as Terraform's
// replace() does, then evaluated as a plain script that defines handler(event).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SOURCE = fs.readFileSync(path.join(__dirname, 'viewer-request.js'), 'utf8');
const V = JSON.parse(fs.readFileSync(path.join(__dirname, 'testdata', 'vectors.json'), 'utf8'));
const PLACEHOLDER = '__ALLOWED_SIZES__';

// logged holds what the function printed with console.log, as CloudFront sends to CloudWatch.
const logged = [];

function load(sizes) {
    const code = SOURCE.split(PLACEHOLDER).join(sizes);
    const ctx = vm.createContext({ console: { log: (line) => logged.push(String(line)) } });
    vm.runInContext(code, ctx, { filename: 'viewer-request.js' });
    return ctx.handler;
}

// event builds a viewer-request event in the shape CloudFront Functions passes (lower-case
// header names; querystring values with multiValue when repeated).
function event(uri, accept, query) {
    const headers = { host: { value: 'd111111abcdef8.cloudfront.net' } };
    if (accept !== undefined && accept !== null) {
        headers.accept = { value: accept };
    }
    const querystring = {};
    for (const [k, vals] of Object.entries(query || {})) {
        querystring[k] = { value: vals[0] };
        if (vals.length > 1) {
            querystring[k].multiValue = vals.map((v) => ({ value: v }));
        }
    }
    return {
        version: '1.0',
        context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE', requestId: 'r' },
        viewer: { ip: '198.51.100.11' },
        request: { method: 'GET', uri, querystring, headers, cookies: {} },
    };
}

const handler = load(V.sizes);

// forOrigin asserts that the function passed the request on, and returns its URI.
function forOrigin(out, name) {
    assert.ok(out && out.statusCode === undefined, name + ': answered ' + (out && out.statusCode) + ' at the edge');
    assert.strictEqual(Object.keys(out.querystring).length, 0, name + ': query string left in the cache key');
    assert.strictEqual(out.method, 'GET');
    return out.uri;
}

test('the file fits CloudFront Functions (10 KB) once substituted, and keeps to its runtime', () => {
    const code = SOURCE.split(PLACEHOLDER).join(V.sizes);
    assert.ok(Buffer.byteLength(code) <= 10240, 'function is ' + Buffer.byteLength(code) + ' bytes');
    assert.ok(SOURCE.includes("const SIZES = '" + PLACEHOLDER + "';"), 'placeholder missing');
    assert.ok(!SOURCE.includes('${'), 'a ${ would be expanded by templatefile()');
    assert.ok(!/\brequire\s*\(|\bimport\b|=>|`|\?\.|\?\?|\bclass\b|\.\.\./.test(SOURCE),
        'a feature outside cloudfront-js-2.0 as this file uses it (require, import, arrows, templates, ?., ??, class, spread)');
});

test('Accept negotiation', async (t) => {
    for (const v of V.accept) {
        await t.test(v.name, () => {
            const uri = forOrigin(handler(event('/800x600/a.jpg', v.accept)), v.name);
            assert.strictEqual(uri, '/' + v.want + '/800x600/a.jpg');
        });
    }
});

test('requests', async (t) => {
    for (const v of V.requests) {
        await t.test(v.name, () => {
            logged.length = 0;
            const out = handler(event(v.uri, v.accept, v.query));
            if (v.want_status) {
                assert.strictEqual(logged.length, 1, 'one log line per refusal');
                assert.ok(logged[0].startsWith(v.want_status + ' '), logged[0]);
                assert.strictEqual(out.statusCode, v.want_status, v.name + ': got ' + JSON.stringify(out.uri || out));
                assert.match(out.headers['content-type'].value, /^text\/plain/);
                assert.strictEqual(out.headers['cache-control'].value, 'public, max-age=60');
                assert.strictEqual(out.body.encoding, 'text');
                assert.ok(out.body.data.length > 0 && out.body.data.length < 200);
                return;
            }
            const uri = forOrigin(out, v.name);
            assert.strictEqual(logged.length, 0, 'a passed request logs nothing');
            assert.strictEqual(uri, v.want_uri);
            assert.match(uri, /^[A-Za-z0-9._~/-]+$/, 'origin path with a character that needs encoding');
        });
    }
});

test('every stored key reaches the origin in its encoded form', async (t) => {
    for (const v of V.keys) {
        await t.test(v.name, () => {
            // A browser percent-encodes each segment; a plus may also come raw.
            const viewer = v.key.split('/').map(encodeURIComponent).join('/');
            assert.strictEqual(forOrigin(handler(event('/meta/' + viewer)), v.name), '/meta/' + v.encoded);
            assert.strictEqual(forOrigin(handler(event('/200x150/' + viewer, 'image/webp')), v.name), '/webp/200x150/' + v.encoded);
        });
    }
});

test('the allowlist is what Terraform substituted', () => {
    const h = load(' 640x480 , 320x240');
    assert.strictEqual(forOrigin(h(event('/640x480/a.jpg', '*/*')), 'listed'), '/original/640x480/a.jpg');
    assert.strictEqual(forOrigin(h(event('/320x240/a.jpg', '*/*')), 'listed'), '/original/320x240/a.jpg');
    assert.strictEqual(h(event('/800x600/a.jpg', '*/*')).statusCode, 400);
    // An unsubstituted file serves nothing rather than everything.
    assert.strictEqual(load(PLACEHOLDER)(event('/800x600/a.jpg', '*/*')).statusCode, 400);
});

test('a repeated Accept header: the first value decides, as CloudFront puts it in value', () => {
    const e = event('/800x600/a.jpg', 'image/webp');
    e.request.headers.accept.multiValue = [{ value: 'image/webp' }, { value: 'image/avif' }];
    assert.strictEqual(forOrigin(handler(e), 'multi'), '/webp/800x600/a.jpg');
});
