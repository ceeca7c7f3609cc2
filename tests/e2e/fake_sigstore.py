#!/usr/bin/python3
# fake_sigstore.py - a private Sigstore deployment for the end-to-end tests:
# its own Fulcio-like CA, Rekor key and CT log key, described in a
# trusted_root.json, and cosign keyless signatures made with them.
# SPDX-License-Identifier: Apache-2.0
#
#   fake_sigstore.py init DIR
#       Creates DIR with root.key/root.pem (self-signed CA),
#       intermediate.key/intermediate.pem (issues the leaves; codeSigning
#       EKU), rekor.key/rekor.pub, ctlog.key/ctlog.pub (all EC P-256) and
#       trusted_root.json (Sigstore's format, version 0.1).  Prints DIR's
#       summary as JSON.
#
#   fake_sigstore.py sign DIR --registry HOST:PORT --repo REPO
#           --digest sha256:HEX --subject EMAIL --issuer URL [--no-sct]
#           [--tlog-key FILE]
#       Makes a 10-minute leaf certificate for EMAIL (issuer extension
#       1.3.6.1.4.1.57264.1.1 raw and .1.8 DER UTF8String, embedded SCT from
#       the CT log key), signs cosign's payload for DIGEST with a fresh key,
#       logs it as a hashedrekord entry with a SET from the Rekor key (or
#       FILE, to make a SET the trusted root does not vouch for) and pushes
#       the payload, a config and the manifest at tag sha256-HEX.sig of
#       REPO on the plain-HTTP registry (replacing what was there).  Prints
#       a JSON summary (tag, manifest digest, log index, integrated time).
#
#   fake_sigstore.py bundle DIR --registry HOST:PORT --repo REPO
#           --digest sha256:HEX (--subject EMAIL --issuer URL | --key FILE)
#           [--statement-digest sha256:HEX] [--predicate-type URL]
#           [--predicate FILE] [--tamper set|proof] [--out FILE]
#       What cosign v3 makes for an image: a Sigstore bundle v0.3 whose DSSE
#       envelope signs an in-toto statement about DIGEST (or the
#       --statement-digest, to sign for another image), predicate type
#       https://sigstore.dev/cosign/sign/v1 unless --predicate-type says
#       otherwise, predicate {} or the JSON in --predicate (cosign v3
#       attaches attestations so).  The signer is a fresh key with a
#       10-minute leaf for EMAIL (material: the certificate), or the private
#       key FILE (material: a publicKey hint).  One dsse 0.0.1 log entry with a SET
#       from the Rekor key and an inclusion proof in a small Merkle tree up
#       to a checkpoint the Rekor key signed (a Rekor v1 note: origin
#       "rekor.e2e.invalid - 1234").  --tamper flips one base64 character of
#       the SET or of an inclusion proof hash after signing.  The bundle is
#       pushed as an OCI referrer of DIGEST in REPO (artifactType and layer
#       application/vnd.dev.sigstore.bundle.v0.3+json, empty config,
#       subject = the image manifest's descriptor) and listed in the
#       referrers fallback index at tag sha256-HEX (an index already there
#       is extended).  The bundle is also written to FILE.  Prints a JSON
#       summary (referrer and bundle digests, fallback tag, referrer count,
#       log index, integrated time).
#
# Everything is Debian's python3 with python3-cryptography; no network but
# the registry given.

import argparse
import base64
import datetime
import hashlib
import json
import os
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SCT_LIST = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
SIGMT = "application/vnd.dev.cosign.simplesigning.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
BUNDLE_MT = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO_MT = "application/vnd.in-toto+json"
COSIGN_SIGN = "https://sigstore.dev/cosign/sign/v1"
EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                "size": 2}
MANIFEST_ACCEPT = ", ".join((
    OCI_MANIFEST, OCI_INDEX,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"))
# The Rekor v1 log of the tests' trusted root (baseUrl rekor.e2e.invalid).
REKOR_HOST = "rekor.e2e.invalid"
REKOR_TREE_ID = 1234
LEAF_MINUTES = 10


def b64(data):
    return base64.b64encode(data).decode("ascii")


def compact(obj):
    """JSON as Go's encoding/json writes it: no spaces, order kept."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def spki_der(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def write_key(path, key):
    data = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def read_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def read_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def write_pub(path, key):
    with open(path, "wb") as f:
        f.write(key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))


def ecdsa_sign(key, data):
    """ECDSA over SHA-256, ASN.1 DER as cosign and Rekor write it."""
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


# ---- init ------------------------------------------------------------------

def ca_name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regwarden-e2e"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(key, subject, issuer_key, issuer_name, start, pathlen, eku):
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer_name)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(start)
         .not_valid_after(start + datetime.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=True, path_length=pathlen),
                        critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=False, content_commitment=False,
             key_encipherment=False, data_encipherment=False,
             key_agreement=False, key_cert_sign=True, crl_sign=True,
             encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(
             key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def log_entry(key, url, start):
    der = spki_der(key)
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": b64(der),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": rfc3339(start)},
        },
        "logId": {"keyId": b64(hashlib.sha256(der).digest())},
    }


def cmd_init(args):
    d = args.dir
    os.makedirs(d, exist_ok=True)
    # A day back, so the CA is valid at any integrated time of the test.
    start = now_utc() - datetime.timedelta(days=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    inter_key = ec.generate_private_key(ec.SECP256R1())
    rekor_key = ec.generate_private_key(ec.SECP256R1())
    ct_key = ec.generate_private_key(ec.SECP256R1())
    root_name = ca_name("e2e-fulcio-root")
    root = make_ca(root_key, root_name, root_key, root_name, start, 1, False)
    inter = make_ca(inter_key, ca_name("e2e-fulcio-intermediate"), root_key,
                    root_name, start, 0, True)
    for name, key in (("root", root_key), ("intermediate", inter_key),
                      ("rekor", rekor_key), ("ctlog", ct_key)):
        write_key(os.path.join(d, name + ".key"), key)
    for name, cert in (("root", root), ("intermediate", inter)):
        with open(os.path.join(d, name + ".pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
    write_pub(os.path.join(d, "rekor.pub"), rekor_key)
    write_pub(os.path.join(d, "ctlog.pub"), ct_key)
    tr = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [log_entry(rekor_key, "https://rekor.e2e.invalid", start)],
        "certificateAuthorities": [{
            "subject": {"organization": "regwarden-e2e",
                        "commonName": "e2e-fulcio-intermediate"},
            "uri": "https://fulcio.e2e.invalid",
            # Issuing CA first, the trust anchor last.
            "certChain": {"certificates": [
                {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                for c in (inter, root)]},
            "validFor": {"start": rfc3339(start)},
        }],
        "ctlogs": [log_entry(ct_key, "https://ctfe.e2e.invalid/test", start)],
        "timestampAuthorities": [],
    }
    path = os.path.join(d, "trusted_root.json")
    with open(path, "w") as f:
        json.dump(tr, f, indent=2)
        f.write("\n")
    print(compact({
        "trusted_root": path,
        "rekor_log_id": hashlib.sha256(spki_der(rekor_key)).hexdigest(),
        "ctlog_id": hashlib.sha256(spki_der(ct_key)).hexdigest(),
    }))
    return 0


# ---- the leaf certificate ----------------------------------------------------

def der_utf8(s):
    """A DER UTF8String (tag 0x0C) of S."""
    raw = s.encode("utf-8")
    n = len(raw)
    if n < 0x80:
        head = bytes([n])
    else:
        lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(lb)]) + lb
    return b"\x0c" + head + raw


def leaf_builder(key, inter, inter_key, subject, issuer, start):
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([]))    # Fulcio leaves: empty subject
            .issuer_name(inter.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(minutes=LEAF_MINUTES))
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                inter_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.RFC822Name(subject)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(
                OID_ISSUER_V1, issuer.encode("utf-8")), critical=False)
            .add_extension(x509.UnrecognizedExtension(
                OID_ISSUER_V2, der_utf8(issuer)), critical=False))


def sct_list(ct_key, issuer_key_hash, tbs, when_ms):
    """
    The SCT list extension value (RFC 6962 §3.3): a TLS vector of one v1
    SCT whose signature covers the precertificate entry, i.e. TBS (the
    leaf's TBS without this extension) and the issuer's key hash.
    """
    log_id = hashlib.sha256(spki_der(ct_key)).digest()
    signed = (struct.pack(">BBQH", 0, 0, when_ms, 1) + issuer_key_hash +
              len(tbs).to_bytes(3, "big") + tbs + struct.pack(">H", 0))
    sig = ecdsa_sign(ct_key, signed)
    # hash sha256 (4), signature ecdsa (3), then the DER signature.
    sct = (b"\x00" + log_id + struct.pack(">QH", when_ms, 0) +
           b"\x04\x03" + struct.pack(">H", len(sig)) + sig)
    lst = struct.pack(">H", len(sct)) + sct
    lst = struct.pack(">H", len(lst)) + lst
    # The extension's value is an OCTET STRING holding the TLS bytes.
    n = len(lst)
    head = bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")
    return b"\x04" + head + lst


def make_leaf(d, key, subject, issuer, start, with_sct):
    inter = read_cert(os.path.join(d, "intermediate.pem"))
    inter_key = read_key(os.path.join(d, "intermediate.key"))
    b = leaf_builder(key, inter, inter_key, subject, issuer, start)
    if with_sct:
        # The log signs the TBS as it will read once the SCT list is taken
        # out again: same serial, same extensions in the same order.
        pre = b.sign(inter_key, hashes.SHA256())
        ct_key = read_key(os.path.join(d, "ctlog.key"))
        ikh = hashlib.sha256(spki_der(inter_key)).digest()
        when_ms = int(start.timestamp()) * 1000
        ext = sct_list(ct_key, ikh, pre.tbs_certificate_bytes, when_ms)
        b = b.add_extension(x509.UnrecognizedExtension(OID_SCT_LIST, ext),
                            critical=False)
        leaf = b.sign(inter_key, hashes.SHA256())
        if leaf.tbs_precertificate_bytes != pre.tbs_certificate_bytes:
            raise SystemExit("fake_sigstore: precertificate TBS mismatch")
        return leaf
    return b.sign(inter_key, hashes.SHA256())


# ---- the registry ------------------------------------------------------------

def http(method, url, data=None, headers=None):
    r = urllib.request.Request(url, data=data, method=method,
                               headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        raise SystemExit("fake_sigstore: %s %s: HTTP %d: %s" % (
            method, url, e.code, e.read()[:300].decode("utf-8", "replace")))


def put_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, hdrs, _ = http("POST", "%s/v2/%s/blobs/uploads/" % (base, repo),
                      b"", {"Content-Length": "0"})
    loc = hdrs.get("Location")
    if not loc:
        raise SystemExit("fake_sigstore: upload has no Location")
    loc = urllib.parse.urljoin(base + "/", loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
    http("PUT", loc, data, {"Content-Type": "application/octet-stream"})
    return digest


def push(registry, repo, tag, payload, annotations):
    base = "http://" + registry
    config = compact({
        "architecture": "", "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
        "rootfs": {"type": "layers", "diff_ids": [
            "sha256:" + hashlib.sha256(payload).hexdigest()]},
        "config": {}}).encode()
    pdig = put_blob(base, repo, payload)
    cdig = put_blob(base, repo, config)
    manifest = compact({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config),
                   "digest": cdig},
        "layers": [{"mediaType": SIGMT, "size": len(payload),
                    "digest": pdig, "annotations": annotations}],
    }).encode()
    http("PUT", "%s/v2/%s/manifests/%s" % (base, repo, tag), manifest,
         {"Content-Type": OCI_MANIFEST})
    return "sha256:" + hashlib.sha256(manifest).hexdigest(), pdig


# ---- sign --------------------------------------------------------------------

def next_log_index(d):
    path = os.path.join(d, "log_index")
    try:
        with open(path) as f:
            n = int(f.read().strip()) + 1
    except FileNotFoundError:
        n = 1000
    with open(path, "w") as f:
        f.write("%d\n" % n)
    return n


def rekor_bundle(rekor_key, payload, sig_b64, cert_pem, when, index):
    entry = compact({
        "apiVersion": "0.0.1", "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256",
                              "value": hashlib.sha256(payload).hexdigest()}},
            "signature": {"content": sig_b64,
                          "publicKey": {"content": b64(cert_pem)}},
        }})
    body = b64(entry.encode())
    log_id = hashlib.sha256(spki_der(rekor_key)).hexdigest()
    # RFC 8785 form of the four members: sorted keys, no spaces.
    canon = json.dumps({"body": body, "integratedTime": when,
                        "logID": log_id, "logIndex": index},
                       sort_keys=True, separators=(",", ":"))
    setsig = ecdsa_sign(rekor_key, canon.encode())
    return compact({"SignedEntryTimestamp": b64(setsig),
                    "Payload": {"body": body, "integratedTime": when,
                                "logIndex": index, "logID": log_id}})


def cmd_sign(args):
    d = args.dir
    hexd = args.digest.split(":", 1)[1] if ":" in args.digest else ""
    if not args.digest.startswith("sha256:") or len(hexd) != 64:
        raise SystemExit("fake_sigstore: --digest must be sha256:<64 hex>")
    start = now_utc()
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = make_leaf(d, key, args.subject, args.issuer, start,
                     not args.no_sct)
    cert_pem = leaf.public_bytes(serialization.Encoding.PEM)
    chain_pem = b"".join(read_cert(os.path.join(d, n + ".pem")).public_bytes(
        serialization.Encoding.PEM) for n in ("intermediate", "root"))
    payload = compact({
        "critical": {
            "identity": {"docker-reference": "%s/%s" % (args.registry,
                                                         args.repo)},
            "image": {"docker-manifest-digest": args.digest},
            "type": "cosign container image signature"},
        "optional": None}).encode()
    sig_b64 = b64(ecdsa_sign(key, payload))
    rekor_key = read_key(args.tlog_key or os.path.join(d, "rekor.key"))
    when = int(start.timestamp())
    index = next_log_index(d)
    annotations = {
        "dev.cosignproject.cosign/signature": sig_b64,
        "dev.sigstore.cosign/certificate": cert_pem.decode(),
        "dev.sigstore.cosign/chain": chain_pem.decode(),
        "dev.sigstore.cosign/bundle": rekor_bundle(
            rekor_key, payload, sig_b64, cert_pem, when, index),
    }
    tag = "sha256-%s.sig" % hexd
    mdig, pdig = push(args.registry, args.repo, tag, payload, annotations)
    print(compact({"tag": tag, "manifest_digest": mdig,
                   "payload_digest": pdig, "log_index": index,
                   "integrated_time": when, "subject": args.subject,
                   "issuer": args.issuer}))
    return 0


# ---- bundle --------------------------------------------------------------------

def sha256_hex_arg(value, name):
    hexd = value.split(":", 1)[1] if ":" in value else ""
    if not value.startswith("sha256:") or len(hexd) != 64:
        raise SystemExit("fake_sigstore: %s must be sha256:<64 hex>" % name)
    return hexd


def dsse_pae(ptype, payload):
    """DSSE v1 pre-authentication encoding: what the signature covers."""
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def merkle_root(leaves):
    """RFC 6962 MTH over leaf hashes: split at the largest power of 2 < n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) +
                          merkle_root(leaves[k:])).digest()


def merkle_path(m, leaves):
    """RFC 6962 PATH(m, D[n]): sibling hashes from the leaf up."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return merkle_path(m, leaves[:k]) + [merkle_root(leaves[k:])]
    return merkle_path(m - k, leaves[k:]) + [merkle_root(leaves[:k])]


def checkpoint(rekor_key, size, root):
    """A Rekor v1 checkpoint: a signed note whose key hint is the first 4
    bytes of the log id, signed with ECDSA over the text."""
    text = "%s - %d\n%d\n%s\n" % (REKOR_HOST, REKOR_TREE_ID, size, b64(root))
    sig = ecdsa_sign(rekor_key, text.encode())
    hint = hashlib.sha256(spki_der(rekor_key)).digest()[:4]
    return text + "\n\u2014 %s %s\n" % (REKOR_HOST, b64(hint + sig))


def flip_b64(s, at):
    """S with the base64 character at index AT replaced by another one."""
    c = "B" if s[at] == "A" else "A"
    return s[:at] + c + s[at + 1:]


def tlog_entry(rekor_key, body, when, index, tamper):
    """A v0.3 tlogEntries member for BODY: SET plus inclusion proof."""
    canonicalized = b64(body)
    log_id = hashlib.sha256(spki_der(rekor_key)).digest()
    canon = json.dumps({"body": canonicalized, "integratedTime": when,
                        "logID": log_id.hex(), "logIndex": index},
                       sort_keys=True, separators=(",", ":"))
    set_b64 = b64(ecdsa_sign(rekor_key, canon.encode()))
    # Seven leaves: six other entries and ours at tree index 5, so that
    # the proof holds three hashes (RFC 6962 leaf and node hashes).
    leaves = [hashlib.sha256(b"\x00" + os.urandom(48)).digest()
              for _ in range(7)]
    local = 5
    leaves[local] = hashlib.sha256(b"\x00" + body).digest()
    root = merkle_root(leaves)
    hashes = [b64(h) for h in merkle_path(local, leaves)]
    if tamper == "set":
        # A character late in the DER signature's s: still DER, another s.
        set_b64 = flip_b64(set_b64, len(set_b64.rstrip("=")) - 3)
    elif tamper == "proof":
        hashes[1] = flip_b64(hashes[1], 10)
    return {
        "logIndex": str(index),
        "logId": {"keyId": b64(log_id)},
        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
        "integratedTime": str(when),
        "inclusionPromise": {"signedEntryTimestamp": set_b64},
        "inclusionProof": {
            "logIndex": str(local),
            "rootHash": b64(root),
            "treeSize": str(len(leaves)),
            "hashes": hashes,
            "checkpoint": {"envelope": checkpoint(rekor_key, len(leaves),
                                                  root)},
        },
        "canonicalizedBody": canonicalized,
    }


def make_bundle(args, registry_ref):
    """The bundle JSON bytes for ARGS (see the header)."""
    d = args.dir
    shex = sha256_hex_arg(args.statement_digest or args.digest,
                          "--statement-digest")
    start = now_utc()
    if args.key:
        key = read_key(args.key)
        verifier_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        material = {"publicKey": {
            "hint": b64(hashlib.sha256(spki_der(key)).digest())}}
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = make_leaf(d, key, args.subject, args.issuer, start, True)
        verifier_pem = leaf.public_bytes(serialization.Encoding.PEM)
        material = {"certificate": {"rawBytes": b64(leaf.public_bytes(
            serialization.Encoding.DER))}}
    statement = compact({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": registry_ref, "digest": {"sha256": shex}}],
        "predicateType": args.predicate_type,
        "predicate": (json.load(open(args.predicate)) if args.predicate
                      else {})}).encode()
    sig = ecdsa_sign(key, dsse_pae(INTOTO_MT, statement))
    envelope = {"payload": b64(statement), "payloadType": INTOTO_MT,
                "signatures": [{"sig": b64(sig)}]}
    body = compact({
        "apiVersion": "0.0.1", "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(
                compact(envelope).encode()).hexdigest()},
            "payloadHash": {"algorithm": "sha256",
                            "value": hashlib.sha256(statement).hexdigest()},
            "signatures": [{"signature": b64(sig),
                            "verifier": b64(verifier_pem)}]}}).encode()
    rekor_key = read_key(os.path.join(d, "rekor.key"))
    when = int(start.timestamp())
    index = next_log_index(d)
    material["tlogEntries"] = [tlog_entry(rekor_key, body, when, index,
                                          args.tamper)]
    bundle = compact({"mediaType": BUNDLE_MT,
                      "verificationMaterial": material,
                      "dsseEnvelope": envelope}).encode()
    return bundle, index, when


def image_descriptor(base, repo, digest):
    """The descriptor of manifest DIGEST as the registry serves it."""
    _, hdrs, data = http("GET", "%s/v2/%s/manifests/%s" % (base, repo, digest),
                         None, {"Accept": MANIFEST_ACCEPT})
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit("fake_sigstore: the registry's %s hashes otherwise"
                         % digest)
    mt = hdrs.get("Content-Type", "").split(";")[0].strip()
    return {"mediaType": mt or json.loads(data).get("mediaType", ""),
            "digest": digest, "size": len(data)}


def get_index(base, repo, tag):
    """The index at TAG, or None when the tag does not exist."""
    r = urllib.request.Request("%s/v2/%s/manifests/%s" % (base, repo, tag),
                               headers={"Accept": OCI_INDEX})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            j = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise SystemExit("fake_sigstore: GET %s: HTTP %d" % (tag, e.code))
    if not isinstance(j.get("manifests"), list):
        raise SystemExit("fake_sigstore: tag %s holds no index" % tag)
    return j


def push_referrer(base, repo, subject, bundle, predicate_type):
    """Bundle blob, empty config, referrer manifest, fallback index."""
    bdig = put_blob(base, repo, bundle)
    if put_blob(base, repo, b"{}") != EMPTY_CONFIG["digest"]:
        raise SystemExit("fake_sigstore: unexpected empty config digest")
    annotations = {
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": predicate_type,
        "org.opencontainers.image.created": rfc3339(now_utc())}
    manifest = compact({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_MT, "config": EMPTY_CONFIG,
        "layers": [{"mediaType": BUNDLE_MT, "digest": bdig,
                    "size": len(bundle)}],
        "subject": subject, "annotations": annotations}).encode()
    mdig = "sha256:" + hashlib.sha256(manifest).hexdigest()
    http("PUT", "%s/v2/%s/manifests/%s" % (base, repo, mdig), manifest,
         {"Content-Type": OCI_MANIFEST})
    tag = subject["digest"].replace(":", "-", 1)
    index = get_index(base, repo, tag) or {
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    if not any(m.get("digest") == mdig for m in index["manifests"]):
        index["manifests"].append({
            "mediaType": OCI_MANIFEST, "digest": mdig,
            "size": len(manifest), "artifactType": BUNDLE_MT,
            "annotations": annotations})
    data = compact(index).encode()
    http("PUT", "%s/v2/%s/manifests/%s" % (base, repo, tag), data,
         {"Content-Type": OCI_INDEX})
    return mdig, bdig, tag, len(index["manifests"])


def cmd_bundle(args):
    sha256_hex_arg(args.digest, "--digest")
    if (args.key is not None) == (args.subject is not None and
                                  args.issuer is not None) or (
            args.key is not None and (args.subject or args.issuer)):
        raise SystemExit("fake_sigstore: give --key, or --subject with "
                         "--issuer")
    base = "http://" + args.registry
    subject = image_descriptor(base, args.repo, args.digest)
    bundle, index, when = make_bundle(
        args, "%s/%s" % (args.registry, args.repo))
    if args.out:
        with open(args.out, "wb") as f:
            f.write(bundle)
    mdig, bdig, tag, n = push_referrer(base, args.repo, subject, bundle,
                                       args.predicate_type)
    print(compact({"referrer": mdig, "bundle_digest": bdig,
                   "fallback_tag": tag, "referrers": n, "log_index": index,
                   "integrated_time": when, "subject": subject}))
    return 0


def main():
    ap = argparse.ArgumentParser(prog="fake_sigstore.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init")
    p.add_argument("dir")
    p = sub.add_parser("sign")
    p.add_argument("dir")
    p.add_argument("--registry", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--subject", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--no-sct", action="store_true")
    p.add_argument("--tlog-key")
    p = sub.add_parser("bundle")
    p.add_argument("dir")
    p.add_argument("--registry", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--subject")
    p.add_argument("--issuer")
    p.add_argument("--key")
    p.add_argument("--statement-digest")
    p.add_argument("--predicate-type", default=COSIGN_SIGN)
    p.add_argument("--predicate")   # a JSON file; default {}
    p.add_argument("--tamper", choices=("set", "proof"))
    p.add_argument("--out")
    args = ap.parse_args()
    cmds = {"init": cmd_init, "sign": cmd_sign, "bundle": cmd_bundle}
    return cmds[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
