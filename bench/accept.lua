-- accept.lua - wrk script for bench.sh: manifest GETs as containerd sends them.
-- SPDX-License-Identifier: Apache-2.0
--
-- One Accept header listing the types containerd 1.6 asks for (the order
-- and the trailing */* are containerd's), and a machine-readable summary
-- line that bench.sh parses.  No response() hook: defining one makes wrk
-- run Lua for every reply, which would measure wrk instead of the server.

wrk.method = "GET"
wrk.headers["Accept"] = table.concat({
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"*/*",
}, ", ")

function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d " ..
		"connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
