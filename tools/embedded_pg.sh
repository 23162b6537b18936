# Sourced by tools/test and tools/demo (bash). With DATABASE_URL unset, `embedded_pg_start` starts the
# embedded PostgreSQL (tools/embedded_pg.py: var/postgres, 127.0.0.1:${EMBEDDED_PG_PORT:-54329}) or
# reuses the one running, and exports its DATABASE_URL; `embedded_pg_release`, on exit, stops it
# only once no other command (a demo beside the tests) still uses it, and only if the launcher
# started it. With DATABASE_URL set, both do nothing: that server is used.
embedded_pg_holder=""

embedded_pg_start() {
  [ -z "${DATABASE_URL:-}" ] || return 0
  local line
  line=$(.venv/bin/python tools/embedded_pg.py start --holder "$$") || exit 1
  embedded_pg_holder=$$
  export "${line?}"
}

embedded_pg_release() {
  [ -n "$embedded_pg_holder" ] || return 0
  .venv/bin/python tools/embedded_pg.py stop --holder "$embedded_pg_holder" >/dev/null || true
  embedded_pg_holder=""
}
