typedef int rw_db_placeholder_t;
