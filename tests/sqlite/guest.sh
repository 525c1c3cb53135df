#!/bin/bash
# Runs inside the test VM: the skeleton's suites (namespace, data, two
# mounts) and the fsx verifier on the embedded default, SQLite metadata and
# the local object store, as tests/it/guest.sh runs them on Redis.
#
#   tests/vm/run.sh -t 1200 -o /tmp/out -- tests/sqlite/guest.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
export JFS_IT_URL=sqlite3:///tmp/jfsmeta/itvol.db
export JFS_IT_STORAGE=file
export JFS_T_PREFIX="sqlite "
exec tests/it/guest.sh ${JFS_SQLITE_SUITES:-t-namespace t-data t-twomounts t-fsx}
