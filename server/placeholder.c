/* placeholder until the first server module lands */ typedef int rw_placeholder_t;
