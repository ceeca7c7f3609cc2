/*
 * fuzzcfg.h - the server config the route and rewrite harnesses run
 * under, loaded with config_load from a temporary file: three upstreams
 * (a default, a TLS one and a plain-http one on 127.0.0.1:5000), as
 * tests/server/config/good-full.json has them.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_FUZZCFG_H
#define RW_FUZZCFG_H

struct rw_config;

/* The loaded config; aborts if it does not load.  Never freed. */
struct rw_config *fz_config(void);

#endif /* RW_FUZZCFG_H */
