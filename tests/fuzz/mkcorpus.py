#!/usr/bin/env python3
# mkcorpus.py - (re)build the seed corpora of tests/fuzz/corpus/<harness>/
# from the test fixtures, the unit tests' literals and hand-written cases.
# SPDX-License-Identifier: Apache-2.0
#
# Seeds are named by their SHA-1, as libFuzzer names what it finds, so
# running this again adds nothing twice and keeps regression inputs (which
# have readable names) alone.  Usage: python3 tests/fuzz/mkcorpus.py
import base64, glob, hashlib, json, os, re, struct, sys

root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
corpus = os.path.join(root, 'tests', 'fuzz', 'corpus')


def src(*p):
    return os.path.join(root, *p)


def add(h, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, h)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def read(p):
    with open(p, 'rb') as f:
        return f.read()


def c_strings(path):
    """The string literals of a C file (adjacent ones joined, simple escapes)."""
    text = read(path).decode()
    out = []
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"(?:\s*"((?:[^"\\\n]|\\.)*)")*', text):
        lit = ''.join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0)))
        out.append(lit.encode().decode('unicode_escape'))
    return out


D64 = '0123456789abcdef' * 4
SHA = 'sha256:' + D64

# route: every request target the router's unit test uses.
for s in c_strings(src('tests/server/test_route.c')):
    if s.startswith('/v2'):
        add('route', s)

# grammar: PATTERN \n NAME \n NARROW
for line in ['docker.io/library/**\ndocker.io/library/nginx\ndocker.io/library/n*',
             'ghcr.io/*/app\nghcr.io/acme/app\nghcr.io/acme/app',
             '**\nlocalhost:5000/a__b/c-d.e\nlocalhost:5000/**',
             'registry-1.docker.io/a*b*c/**/x\ndocker.io/aXbYc/q/x\ndocker.io/abc/**/x',
             'latest\n' + SHA + '\nsha512:' + D64 + D64,
             'v1.2.3_rc-1\nfoo+bar.baz:QUJD=_-\na/b/c']:
    add('grammar', line)

# manifest: real manifests and indexes.
for p in glob.glob(src('tests/fixtures/cosign/*/manifest.json')) + \
        glob.glob(src('tests/fixtures/notation/internal-testdata/oci-layout/*.json')):
    add('manifest', read(p))
for p in glob.glob(src('tests/fixtures/notation/internal-testdata/oci-layout/blobs/sha256/*')):
    b = read(p)
    if b.startswith(b'{') and len(b) < 65536:
        add('manifest', b)

# challenge: WWW-Authenticate values.
for s in c_strings(src('tests/server/test_auth.c')):
    if s.startswith(('Bearer', 'Basic', 'bearer')):
        add('challenge', s)
add('challenge', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')

# token: token service answers.
for s in ['{"token":"abc","expires_in":300,"issued_at":"2025-12-31T23:59:00Z"}',
          '{"access_token":"eyJhbGciOi.x.y","token":"t","expires_in":30}',
          '{"token":""}', '[]', '{"access_token":5}']:
    add('token', s)

# rewrite: selector byte, then a Location or Link value.
for sel in (0, 1, 2, 0x80):
    for v in ['/v2/library/nginx/blobs/uploads/abc?_state=x&digest=' + SHA,
              'https://registry-1.docker.io/v2/library/nginx/blobs/uploads/u1',
              'http://127.0.0.1:5000/v2/acme/app/tags/list?n=2&last=b',
              '</v2/acme/app/tags/list?last=b&n=2>; rel="next", </v2/acme/app/tags/list?n=9>; rel="prev"',
              'https://evil.example/v2/library/nginx/blobs/x']:
        add('rewrite', bytes([sel]) + v.encode())

# scanreport: real Trivy and Grype reports, and the one with Secrets.
for p in glob.glob(src('tests/fixtures/scan-reports/*.json')) + [src('tests/scanreport/data/trivy-secrets.json')]:
    add('scanreport', read(p))

# trustroot: flag byte, then the document.
roots = glob.glob(src('tests/policy/bad/roots/*.json')) + \
    glob.glob(src('tests/fixtures/sigstore-conformance/*.json')) + \
    glob.glob(src('tests/fixtures/sigstore-conformance/bundle-verify/*/trusted_root.json'))
for p in roots:
    if 'statement' in p:
        continue
    add('trustroot', b'\0' + read(p))
    add('trustroot', b'\1' + read(p))

# cosign / rekor: the fixtures' simple-signing signatures.
for p in glob.glob(src('tests/fixtures/cosign/dir-img-cosign-*/signature-*')):
    doc = json.loads(read(p)[len(b'\0sigstore-json\n'):])
    ann = doc.get('annotations', {})
    sig = ann.get('dev.cosignproject.cosign/signature', '')
    add('cosign', sig.encode() + b'\n' + base64.b64decode(doc['payload']))
    if 'dev.sigstore.cosign/bundle' in ann:
        add('rekor', ann['dev.sigstore.cosign/bundle'])

# bundle / dsse: the conformance suite's bundles and their envelopes.
for p in glob.glob(src('tests/fixtures/sigstore-conformance/bundle-verify/*/bundle.sigstore.json')):
    b = read(p)
    add('bundle', b)
    try:
        doc = json.loads(b)
    except ValueError:
        continue
    if isinstance(doc, dict) and isinstance(doc.get('dsseEnvelope'), dict):
        add('dsse', json.dumps(doc['dsseEnvelope'], indent=2))

# notation: level byte, then the envelope.
for kind, f in (('notation_jws', 'jws_signature.sig'), ('notation_cose', 'cose_signature.sig')):
    b = read(src('tests/fixtures/notation/internal-testdata', f))
    for level in (0, 1, 2):
        add(kind, bytes([level]) + b)

# pem: keys and certificates.
for p in glob.glob(src('tests/fixtures/cosign/*.pub')) + glob.glob(src('tests/fixtures/cosign/*.pem')) + \
        glob.glob(src('tests/policy/bad/keys/*')):
    add('pem', read(p))

# policy / config: every policy and config the tests load.
for p in glob.glob(src('tests/policy/bad/*.json')) + glob.glob(src('tests/policy/*.json')) + \
        glob.glob(src('config/*.json')):
    if 'schema' not in p:
        add('policy', read(p))
for p in glob.glob(src('tests/server/config/*.json')) + [src('config/regwarden.json'), src('docker/regwarden.json')]:
    add('config', read(p))

# htpasswd: files and Authorization values.
bc = '$2y$05$Fn6JrDVNn6bNMW3Lk7.cJOGzKG8pWrPGnvVdz/ouD0a5LPF8M4bi.'
for s in ['alice:' + bc + '\n# comment\n\nbob:' + bc + '\r\n',
          'carol:$apr1$x$y\n', 'dave:' + bc.replace('05', '31') + '\n',
          'Basic YWxpY2U6d29uZGVybGFuZA==', 'basic YTpi', 'Basic Og==']:
    add('htpasswd', s)

# tlog: index, size, mode, flip, hashes, leaf body.
for idx, size, mode in ((0, 1, 1), (5, 8, 1), (6, 7, 1), (250, 299, 1), (0, 1, 0), (2, 3, 4)):
    add('tlog', struct.pack('>QQBB', idx, size, mode, 0) + b'\x11' * 64 + b'leaf')

# vex: OpenVEX documents (an attestation's predicate) about the harness's
# image sha256:aa..a, in the shapes tests/policy/test_vex.c uses.
HEX_A = 'a' * 64
PURL_A = 'pkg:oci/app@sha256%3A' + HEX_A + '?repository_url=docker.io/acme/app'
def vexdoc(*stmts, ts='2025-06-01T00:00:00Z'):
    return json.dumps({'@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'x', 'author': 'ci',
                       'timestamp': ts, 'version': 1, 'statements': list(stmts)}, indent=1)
NA = {'status': 'not_affected', 'justification': 'vulnerable_code_not_present'}
for st in [dict(vulnerability={'name': 'CVE-2024-0001', 'aliases': ['GHSA-xxxx-yyyy-zzzz']},
                products=[{'@id': 'sha256:' + HEX_A}], **NA),
           dict(vulnerability={'name': 'CVE-2024-0001'}, products=[{'@id': PURL_A, 'subcomponents': [
               {'@id': 'pkg:deb/debian/openssl@3.0.1?arch=amd64'}, {'@id': 'pkg:golang/github.com/acme/lib@v1.2.0'}]}], **NA),
           dict(vulnerability='CVE-2024-0002', products=['docker.io/acme/app@sha256:' + HEX_A], status='fixed'),
           dict(vulnerability={'name': 'CVE-2024-0003'}, products=[{'@id': 'app', 'hashes': {'sha-256': HEX_A}}],
                status='affected', timestamp='2025-07-01T00:00:00+02:00'),
           dict(vulnerability={'name': 'CVE-2024-0004'}, products=[{'@id': 'app', 'identifiers': {'purl': PURL_A}}],
                status='not_affected', impact_statement='not reachable'),
           dict(vulnerability={'name': 'CVE-2024-0005'}, products=[{'@id': 'sha256:' + 'b' * 64}],
                status='under_investigation')]:
    add('vex', vexdoc(st))
add('vex', vexdoc(dict(vulnerability={'name': 'CVE-1'}, products=[{'@id': 'sha256:' + HEX_A}], **NA),
                  dict(vulnerability={'name': 'CVE-1'}, products=[{'@id': 'sha256:' + HEX_A}], status='affected')))

# upload: programs of (opcode, operands) bytes, see fuzz_upload.c: take k0
# (create), append, commit, Content-Range and query checks, give, retake.
def prog(*ops):
    return bytes(b for op in ops for b in (op if isinstance(op, (bytes, bytearray)) else bytes(op)))
def sarg(s):
    return bytes([len(s)]) + s.encode()
TAKE_A = 0x80              # action 0 (take), key 0, client a, create
add('upload', prog([TAKE_A], [4, 10], [6], [2], sarg('0-169'), [5, 3], [7], [8], [1, 7], [0x00], [9]))
add('upload', prog([2], sarg('bytes=0-1023'), [2], sarg('bytes 5-4'), [2], sarg('0-9223372036854775807'),
                   [2], sarg('0-9223372036854775808'), [2], sarg('00000000000000000000001-2')))
add('upload', prog([3], sarg('digest=sha256%3A' + D64 + '&mount=' + SHA + '&from=library/nginx'),
                   [3], sarg('mount&from&digest=x+y'), [3], sarg('a=1&&digest=%00&'), [3], sarg('digest=a&digest=b')))
add('upload', prog([TAKE_A], [4, 255], [4, 255], [6], [8], [TAKE_A | 0x10], [TAKE_A | 0x20], [TAKE_A | 0x30],
                   [1, 7], [TAKE_A | 0x30], [0x40 | 0x80], [10], [4, 1]))
