#!/usr/bin/python3
"""check_manifests.py - deploy/kubernetes: valid API objects, locked down, consistent.

SPDX-License-Identifier: Apache-2.0

Usage: check_manifests.py REGWARDEN_BINARY
1. validate.mjs (kubernetes-models: the API's JSON schemas, and no unknown
   field) passes every manifest, and fails broken copies of them: a
   misspelt field, a wrong type, a missing required field, an unknown kind,
   so that a passing run means something;
2. the Deployment, its pod and container are as locked down as the issue
   asks (asserted field by field), the probes carry no token, the Secrets
   are mounted so that regwarden accepts them, the policy ConfigMap is
   mounted as a directory so that updates reach it;
3. the PDB, Service and NetworkPolicy select the Deployment's pods, and
   the NetworkPolicy's egress is DNS, PostgreSQL and HTTPS only;
4. the policy in the ConfigMap passes `regwarden check`; the config passes
   `regwarden check-config` with its "database" (PostgreSQL, its password
   file from the Secret) and without it (one replica on SQLite);
5. kustomization.yaml lists exactly the manifests beside it.
Prints "ok - ..." / "FAIL - ..." lines and a count; exit 1 on a failure.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "regwarden")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"FAIL - {name}{': ' + detail if detail else ''}")


def load(name):
    with open(os.path.join(K8S, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def validate(paths):
    r = subprocess.run(["node", os.path.join(HERE, "validate.mjs")] + paths,
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


manifests = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml"))
node_manifests = [os.path.join(K8S, "node", "daemonset.yaml")]

# ---- 1. the schemas, and proof that they bite --------------------------
rc, out = validate([os.path.join(K8S, f) for f in manifests] + node_manifests)
check("validate.mjs accepts every manifest", rc == 0, out)
check("validate.mjs checked 10 API objects", "10 objects checked, 0 failed" in out, out)

deploy = load("deployment.yaml")[0]


def mutant(label, mutate, want):
    d = copy.deepcopy(deploy)
    mutate(d)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(d, f)
    try:
        rc, out = validate([f.name])
    finally:
        os.unlink(f.name)
    check(f"validate.mjs refuses {label}", rc == 1 and want in out, out)


pod = lambda d: d["spec"]["template"]["spec"]
ctr = lambda d: pod(d)["containers"][0]
mutant("a misspelt field (readinesProbe)",
       lambda d: ctr(d).__setitem__("readinesProbe", ctr(d).pop("readinessProbe")),
       "readinesProbe: unknown field")
mutant("a misspelt securityContext field",
       lambda d: ctr(d)["securityContext"].__setitem__("readOnlyRootFileSystem", True),
       "readOnlyRootFileSystem: unknown field")
mutant("replicas as a string", lambda d: d["spec"].__setitem__("replicas", "3"),
       "must be integer")
mutant("a container without a name", lambda d: ctr(d).pop("name"),
       "must have required property name")
mutant("an unknown seccomp profile type",
       lambda d: pod(d)["securityContext"]["seccompProfile"].__setitem__("type", "Strict"),
       "must be equal to one of the allowed values")
mutant("an unknown kind", lambda d: d.__setitem__("kind", "Deploymnet"),
       "no API schema for apps/v1 Deploymnet")

# ---- 2. the Deployment --------------------------------------------------
spec = deploy["spec"]
p = spec["template"]["spec"]
c = p["containers"][0]
check("Deployment: 3 replicas", spec["replicas"] == 3)
anti = p["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
check("Deployment: required anti-affinity on kubernetes.io/hostname",
      any(t["topologyKey"] == "kubernetes.io/hostname" and
          t["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"] for t in anti))
psc, csc = p["securityContext"], c["securityContext"]
check("pod: runAsNonRoot, uid and gid 65532, fsGroup 65532",
      psc["runAsNonRoot"] is True and psc["runAsUser"] == 65532 and
      psc["runAsGroup"] == 65532 and psc["fsGroup"] == 65532)
check("pod: a seccomp profile", psc["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost"))
check("container: runAsNonRoot as 65532", csc["runAsNonRoot"] is True and csc["runAsUser"] == 65532)
check("container: readOnlyRootFilesystem", csc["readOnlyRootFilesystem"] is True)
check("container: allowPrivilegeEscalation false", csc["allowPrivilegeEscalation"] is False)
check("container: not privileged", csc.get("privileged", False) is False)
check("container: capabilities drop ALL, add none",
      csc["capabilities"]["drop"] == ["ALL"] and "add" not in csc["capabilities"])
check("container: a seccomp profile", csc["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost"))
check("container: an AppArmor profile", csc["appArmorProfile"]["type"] in ("RuntimeDefault", "Localhost"))
check("pod: no service account token", p["automountServiceAccountToken"] is False)
check("pod: no host namespaces",
      not any(p.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")))
for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                    ("readinessProbe", "/readyz")):
    g = c[probe]["httpGet"]
    check(f"{probe}: GET {path} on the admin port, no Authorization header",
          g["path"] == path and g["port"] == "admin" and "httpHeaders" not in g)
check("container: a memory limit", "memory" in c["resources"]["limits"])
mounts = {m["name"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in p["volumes"]}
check("policy: its ConfigMap mounted as a directory (no subPath: updates reach it)",
      vols["policy"]["configMap"]["name"] == "regwarden-policy" and "subPath" not in mounts["policy"]
      and mounts["policy"]["mountPath"] == "/etc/regwarden/policy")
for s in ("tls", "secrets"):
    check(f"{s}: a Secret, mode 0440 (root:fsGroup 0440, which regwarden accepts)",
          "secret" in vols[s] and vols[s]["secret"]["defaultMode"] == 0o440 and mounts[s]["readOnly"])
check("state and /tmp: emptyDir (the root filesystem is read-only)",
      "emptyDir" in vols["state"] and mounts["state"]["mountPath"] == "/var/lib/regwarden" and
      "emptyDir" in vols["tmp"] and mounts["tmp"]["mountPath"] == "/tmp")
check("every volume is mounted, every mount has a volume", set(mounts) == set(vols))
check("grace period longer than regwarden's 30 s drain", p["terminationGracePeriodSeconds"] > 30)

# ---- 3. what selects the pods ------------------------------------------
labels = spec["template"]["metadata"]["labels"]
sel = lambda m: all(labels.get(k) == v for k, v in m.items())
pdb = load("pdb.yaml")[0]
check("PDB selects the pods, keeps 2 of 3",
      sel(pdb["spec"]["selector"]["matchLabels"]) and pdb["spec"]["minAvailable"] == 2)
svc = load("service.yaml")[0]
ports = {x["name"]: x for x in c["ports"]}
check("Service selects the pods, its ports name container ports",
      sel(svc["spec"]["selector"]) and all(x["targetPort"] in ports for x in svc["spec"]["ports"]))
np_ = load("networkpolicy.yaml")[0]["spec"]
check("NetworkPolicy selects the pods, both directions",
      sel(np_["podSelector"]["matchLabels"]) and sorted(np_["policyTypes"]) == ["Egress", "Ingress"])
eports = sorted({(x["port"], x["protocol"]) for r in np_["egress"] for x in r["ports"]})
check("NetworkPolicy: egress only to DNS, PostgreSQL and HTTPS",
      eports == [(53, "TCP"), (53, "UDP"), (443, "TCP"), (5432, "TCP")], str(eports))
check("NetworkPolicy: every egress rule names its destination",
      all(r.get("to") for r in np_["egress"]))
ns = load("namespace.yaml")[0]
check("Namespace enforces the restricted Pod Security Standard",
      ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted")
check("every namespaced object is in namespace regwarden",
      all(d["metadata"].get("namespace") == "regwarden"
          for f in manifests if f not in ("namespace.yaml", "kustomization.yaml") for d in load(f)))

# ---- 4. the config and the policy, as regwarden reads them -------------
cms = {d["metadata"]["name"]: d for d in load("config.yaml")}
with tempfile.TemporaryDirectory() as etc:
    os.makedirs(os.path.join(etc, "policy"))
    os.makedirs(os.path.join(etc, "secrets"))
    with open(os.path.join(etc, "policy", "policy.json"), "w") as f:
        f.write(cms["regwarden-policy"]["data"]["policy.json"])
    secret = load("secrets.yaml")[1]["stringData"]
    for k in ("admin-token", "dockerhub.json", "db-password"):
        path = os.path.join(etc, "secrets", k)
        with open(path, "w") as f:
            f.write(secret[k])
        os.chmod(path, 0o600)
    r = subprocess.run([BIN, "check", os.path.join(etc, "policy", "policy.json")],
                       capture_output=True, text=True)
    check("the policy ConfigMap passes regwarden check", r.returncode == 0, r.stdout + r.stderr)
    cfg = json.loads(cms["regwarden-config"]["data"]["regwarden.json"])
    path = os.path.join(etc, "regwarden.json")
    # check-config runs serve's preflight: the TLS pair must be readable and
    # the state_dir writable, as the Secret and the volume make them in a pod.
    os.makedirs(os.path.join(etc, "tls"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=regwarden",
                    "-days", "1", "-keyout", os.path.join(etc, "tls", "tls.key"),
                    "-out", os.path.join(etc, "tls", "tls.crt")],
                   capture_output=True, check=True)
    os.chmod(os.path.join(etc, "tls", "tls.key"), 0o600)
    cfg["state_dir"] = os.path.join(etc, "state")
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([BIN, "check-config", path], capture_output=True, text=True)
    check("with \"database\": regwarden check-config accepts the config (PostgreSQL)",
          r.returncode == 0, r.stdout + r.stderr)
    del cfg["database"]
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([BIN, "check-config", path], capture_output=True, text=True)
    check("without \"database\": regwarden check-config accepts the config",
          r.returncode == 0, r.stdout + r.stderr)
    check("admin listener: not loopback, token for /reload, /metrics open, probes on its port",
          cfg["admin"]["listen"] == "0.0.0.0:5444" and cfg["admin"]["metrics_token_file"] == "" and
          ports["admin"]["containerPort"] == 5444)

# ---- 5. docker/compose.yaml, as hardened as the Deployment --------------
with open(os.path.join(ROOT, "docker", "compose.yaml")) as f:
    rw = yaml.safe_load(f)["services"]["regwarden"]
check("compose: user 65532, read-only, cap_drop ALL",
      rw["user"] == "65532:65532" and rw["read_only"] is True and rw["cap_drop"] == ["ALL"])
check("compose: no-new-privileges and the project's seccomp profile (the file exists)",
      "no-new-privileges:true" in rw["security_opt"] and "seccomp=./seccomp.json" in rw["security_opt"]
      and os.path.exists(os.path.join(ROOT, "docker", "seccomp.json")))
check("compose: the policy the admin edits is mounted over the example",
      "../config/policy.json:/etc/regwarden/policy.json:ro" in rw["volumes"])

# The Dockerfile (which needs a Debian base image, so the tests cannot build
# it) ends as docker/Containerfile does, which the e2e container test builds:
# the same instructions once the sources of the COPYs are set aside.
def last_stage(name):
    with open(os.path.join(ROOT, "docker", name)) as f:
        text = f.read().replace("\\\n", " ")
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]
    stage = lines[max(i for i, l in enumerate(lines) if l.startswith("FROM "))]
    out = []
    for l in lines[lines.index(stage):]:
        w = l.split()
        if w[0] == "COPY":
            w = [x for x in w if not x.startswith("--from=")][:-2] + [w[-1]]
        out.append(" ".join(w))
    return out
check("Dockerfile's last stage is Containerfile's (FROM scratch, owner 65532, HEALTHCHECK, ...)",
      last_stage("Dockerfile") == last_stage("Containerfile"),
      f"{last_stage('Dockerfile')} != {last_stage('Containerfile')}")

# ---- 6. kustomization ---------------------------------------------------
kz = load("kustomization.yaml")[0]
check("kustomization.yaml lists exactly the manifests beside it",
      sorted(kz["resources"]) == sorted(f for f in manifests if f != "kustomization.yaml"))

print(f"check_manifests: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
