#!/usr/bin/python3
# cri_pull.py - pull an image through containerd's CRI plugin, the way the
# kubelet does (runtime.v1.ImageService/PullImage over the unix socket), so
# a test sees the error text a pod's events show (`kubectl describe pod`).
# SPDX-License-Identifier: Apache-2.0
#
#   cri_pull.py --socket PATH --proto-dir DIR [--timeout SECONDS] IMAGE
#
# DIR holds cri_pb2.py and cri_pb2_grpc.py, compiled by the test from
# tests/fixtures/cri/api.proto (nothing generated is committed).  On success
# prints "pulled IMAGE as REF" (REF: the image id containerd returns) and
# exits 0; on a gRPC error prints "error: CODE: DETAILS" (the details are
# the text the kubelet records) and exits 1; on a usage or setup problem
# exits 2.
import argparse
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("image")
    a = ap.parse_args()
    sys.path.insert(0, a.proto_dir)
    try:
        import grpc
        import cri_pb2
        import cri_pb2_grpc
    except ImportError as e:
        print("setup: %s (python3-grpcio, and the compiled proto in %s)"
              % (e, a.proto_dir), file=sys.stderr)
        return 2
    with grpc.insecure_channel("unix://" + a.socket) as ch:
        images = cri_pb2_grpc.ImageServiceStub(ch)
        req = cri_pb2.PullImageRequest(image=cri_pb2.ImageSpec(image=a.image))
        try:
            resp = images.PullImage(req, timeout=a.timeout)
        except grpc.RpcError as e:
            print("error: %s: %s" % (e.code().name, e.details()))
            return 1
    print("pulled %s as %s" % (a.image, resp.image_ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
