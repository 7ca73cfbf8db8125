#!/bin/sh
# Server restart under a mounted kernel client (shoal's nfs-kernel test). The host watches the
# export for "restart-now", restarts the server (same port, same handle db) and creates
# "restarted"; the guest then checks that its cached handles and the data still work.
PASS=0; FAIL=0
check() { _n=$1; shift; if "$@" > /tmp/c.out 2>&1; then PASS=$((PASS+1)); echo "PASS $_n"; else FAIL=$((FAIL+1)); echo "FAIL $_n: $(head -c 300 /tmp/c.out | tr '\n' '|')"; fi; }
eq() { [ "$1" = "$2" ] || { echo "got '$1' want '$2'"; return 1; }; }
W=$MNT/restart-$$
mkdir -p "$W/deep/er" && echo before > "$W/deep/er/f.txt"
dd if=/dev/urandom of=/tmp/r.bin bs=1M count=8 2>/dev/null
cp /tmp/r.bin "$W/r.bin" && sync
SUM=$(md5sum < /tmp/r.bin)
cd "$W/deep/er" || exit 1            # keep a cached handle in use across the restart
touch "$MNT/restart-now" && sync
n=0; while [ ! -e "$MNT/restarted" ] && [ $n -lt 120 ]; do sleep 0.5; n=$((n+1)); done
check restarted test -e "$MNT/restarted"
check cwd-handle-survives eq "$(cat f.txt)" before
echo 3 > /proc/sys/vm/drop_caches
check read-after-restart eq "$(md5sum < "$W/r.bin")" "$SUM"
check write-after-restart sh -c "echo after > '$W/after.txt' && sync"
check rename-after-restart mv "$W/after.txt" "$W/deep/after2.txt"
check listing-after-restart eq "$(ls "$W/deep" | tr '\n' ,)" "after2.txt,er,"
cd /
check cleanup rm -rf "$W" "$MNT/restart-now" "$MNT/restarted"
echo "$PASS passed, $FAIL failed"
