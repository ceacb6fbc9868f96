// CloudFront Function, viewer request, runtime cloudfront-js-2.0 (ES 5.1 plus const/let; no
// template literals, so Terraform's templatefile() would find nothing to expand either).
//
// The one place the edge decides anything:
//   /<W>x<H>/<key>[?format=avif|webp|original]  ->  /<fmt>/<W>x<H>/<encoded key>
//   /meta/<key>                                  ->  /meta/<encoded key>
// <fmt> is avif, webp or original: from ?format= if given, else from Accept. The origin path is
// the whole cache key (the cache policy forwards no header and no query string), so one URL has
// at most three cached variants and the raw Accept header never splits the cache.
// <encoded key> keeps A-Z a-z 0-9 - . _ and the / between segments, and writes every other byte
// of the key's UTF-8 as ~XX (upper-case hex): only unreserved characters, so CloudFront's SigV4
// signature (OAC) and the function URL see the same bytes. The origin decodes it (package edge).
// Junk (a malformed or unlisted size, a bad key, a bad format) is answered here with a 400 and
// never reaches, or bills, the origin. Keep in step with edge/edge.go: edge/testdata/vectors.json
// is run against both.

// Terraform substitutes the allowlist, e.g. "800x600,400x300" (replace() on this exact token).
const SIZES = '__ALLOWED_SIZES__';

const MAX_DIM = 8192;
const MAX_KEY_BYTES = 1000;
const MAX_ACCEPT = 1024;

function allowed() {
    const out = {};
    const list = SIZES.split(',');
    for (let i = 0; i < list.length; i++) {
        const s = list[i].trim();
        if (s !== '') {
            out[s] = 1;
        }
    }
    return out;
}

const ALLOWED = allowed();

// lower lowers A-Z only: Unicode case mapping differs between JavaScript and Go.
function lower(s) {
    return s.replace(/[A-Z]+/g, function (m) {
        return m.toLowerCase();
    });
}

// trim drops the spaces and tabs around a header element (HTTP's OWS), nothing else.
function trim(s) {
    return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

// reply answers at the edge. The log line (CloudWatch Logs, /aws/cloudfront/function/<name>)
// says why; the body says it briefly, without echoing the path.
function reply(status, text, uri) {
    console.log(status + ' ' + text + ': ' + uri.slice(0, 200));
    return {
        statusCode: status,
        statusDescription: status === 404 ? 'Not Found' : 'Bad Request',
        headers: {
            'content-type': { value: 'text/plain; charset=utf-8' },
            'cache-control': { value: 'public, max-age=60' }
        },
        body: { encoding: 'text', data: text + '\n' }
    };
}

// dim: decimal, no sign, no leading zero, 1..MAX_DIM.
function dim(v) {
    if (!/^[1-9][0-9]{0,3}$/.test(v)) {
        return 0;
    }
    const n = parseInt(v, 10);
    return n <= MAX_DIM ? n : 0;
}

// q returns the quality of one media range's parameters, or -1 when it is malformed.
function q(params) {
    let v = 1;
    for (let i = 0; i < params.length; i++) {
        const p = trim(params[i]);
        const eq = p.indexOf('=');
        if (eq < 0 || lower(trim(p.slice(0, eq))) !== 'q') {
            continue;
        }
        const s = trim(p.slice(eq + 1));
        if (!/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(s)) {
            return -1;
        }
        v = parseFloat(s);
    }
    return v;
}

// negotiate picks avif, webp or original from an Accept header. Only an exact image/avif or
// image/webp with q > 0 counts: image/* and */* are sent by browsers that cannot decode either.
// A q=0 entry is a refusal and wins over any other entry for the same type. Between the two,
// the higher q wins, and AVIF (the smaller) on a tie.
function negotiate(accept) {
    // Only tab and printable ASCII: then length is bytes here and in Go, and no case mapping
    // of another script can turn into "image/avif".
    if (typeof accept !== 'string' || accept.length > MAX_ACCEPT || !/^[\t\x20-\x7e]*$/.test(accept)) {
        return 'original';
    }
    const best = { avif: -1, webp: -1 };
    const ranges = accept.split(',');
    for (let i = 0; i < ranges.length; i++) {
        const parts = ranges[i].split(';');
        const type = lower(trim(parts[0]));
        const t = type === 'image/avif' ? 'avif' : type === 'image/webp' ? 'webp' : '';
        const v = t === '' ? -1 : q(parts.slice(1));
        if (v < 0 || best[t] === 0) {
            continue;
        }
        best[t] = v === 0 ? 0 : Math.max(best[t], v);
    }
    const a = best.avif;
    const w = best.webp;
    if (a > 0 && a >= w) {
        return 'avif';
    }
    if (w > 0) {
        return 'webp';
    }
    return 'original';
}

function hex2(c) {
    return (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
}

// encodeKey writes a decoded key in the origin's form and counts its UTF-8 bytes; null when
// the key is not valid UTF-8 text (a lone surrogate has no UTF-8 form).
function encodeKey(key) {
    let e;
    try {
        e = encodeURIComponent(key);
    } catch (err) {
        return null;
    }
    // encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and writes every other UTF-8 byte,
    // '/' included, as %XX with upper-case hex.
    let out = '';
    let n = 0;
    for (let i = 0; i < e.length; i++) {
        const c = e.charAt(i);
        n++;
        if (c === '%') {
            const h = e.slice(i + 1, i + 3);
            out += h === '2F' ? '/' : '~' + h;
            i += 2;
        } else if (/[A-Za-z0-9._-]/.test(c)) {
            out += c;
        } else {
            out += '~' + hex2(c.charCodeAt(0));
        }
    }
    return { path: out, bytes: n };
}

// checkKey applies the origin's path rules to a decoded key; '' when it passes.
function checkKey(key) {
    if (key === '') {
        return 'empty image path';
    }
    if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) {
        return 'control character in image path';
    }
    if (key.indexOf('\\') >= 0) {
        return 'backslash in image path';
    }
    const segs = key.split('/');
    for (let i = 0; i < segs.length; i++) {
        if (segs[i] === '' || segs[i] === '.' || segs[i] === '..') {
            return 'empty, "." or ".." segment in image path';
        }
    }
    return '';
}

// decodeViewer percent-decodes the viewer's path once, strictly: a raw byte outside printable
// ASCII, a malformed escape or escaped bytes that are not UTF-8 are refused. '+' stays a plus.
function decodeViewer(raw) {
    if (!/^[\x21-\x7e]*$/.test(raw)) {
        return null;
    }
    try {
        return decodeURIComponent(raw);
    } catch (e) {
        return null;
    }
}

function formatParam(qs) {
    const f = qs && qs.format;
    if (!f) {
        return '';
    }
    if (f.multiValue && f.multiValue.length > 1) {
        return null;
    }
    const v = lower(String(f.value));
    return v === 'avif' || v === 'webp' || v === 'original' ? v : null;
}

function handler(event) {
    const request = event.request;
    const uri = request.uri;
    const slash = uri.indexOf('/', 1);
    if (uri.charAt(0) !== '/' || slash < 0) {
        // "/", "/favicon.ico", "/robots.txt": nothing is served outside a size or /meta.
        return reply(404, 'not found: want /<W>x<H>/<path> or /meta/<path>', uri);
    }
    const first = uri.slice(1, slash);
    const rawKey = uri.slice(slash + 1);
    let fmt = '';
    if (first !== 'meta') {
        const x = first.split('x');
        if (x.length !== 2 || !dim(x[0]) || !dim(x[1])) {
            return reply(400, 'bad size: want <W>x<H>, whole numbers from 1 to ' + MAX_DIM, uri);
        }
        if (ALLOWED[first] !== 1) {
            return reply(400, 'size not offered', uri);
        }
        fmt = formatParam(request.querystring);
        if (fmt === null) {
            return reply(400, 'bad format: want format=avif, webp or original', uri);
        }
        if (fmt === '') {
            const accept = request.headers && request.headers.accept;
            fmt = negotiate(accept ? accept.value : undefined);
        }
    }
    const key = decodeViewer(rawKey);
    if (key === null) {
        return reply(400, 'bad image path: malformed percent-encoding or raw non-ASCII', uri);
    }
    const bad = checkKey(key);
    if (bad !== '') {
        return reply(400, bad, uri);
    }
    const enc = encodeKey(key);
    if (enc === null) {
        return reply(400, 'image path is not UTF-8', uri);
    }
    if (enc.bytes > MAX_KEY_BYTES) {
        return reply(400, 'image path longer than ' + MAX_KEY_BYTES + ' bytes', uri);
    }
    request.uri = '/' + (fmt === '' ? 'meta' : fmt + '/' + first) + '/' + enc.path;
    request.querystring = {};
    return request;
}
