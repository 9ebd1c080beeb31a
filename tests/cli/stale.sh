#!/bin/bash
# stale.sh -- nothing left behind, even after SIGKILL: a pack or an extract
# killed mid-write leaves its temporary output, and the next run aimed at the
# same place removes it; a temporary whose process still runs (frozen with
# SIGSTOP) is kept and named. No sleeps decide anything: processes are frozen
# at a known point (SIGSTOP, or blocked on a FIFO) and polled for a state.
. "$(dirname "$0")/lib.sh"

"$ESCROW" keygen -o k -W -q >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }

# wait_for CMD...: polls until CMD holds (a state, not a duration; gives up
# after a long while so that a broken build fails instead of hanging).
wait_for() {
	local i
	for i in $(seq 1 3000); do
		"$@" && return 0
		sleep 0.01
	done
	return 1
}
temps() { find . -maxdepth 1 -name "$1" | sort; }
has_temp() { [ -n "$(temps "$1")" ]; }
# A pid that no process has: a child that has exited and been reaped.
dead_pid() {
	sh -c 'exit 0' &
	local p=$!
	wait "$p"
	echo "$p"
}

# ---- pack: killed mid-write ------------------------------------------------
# A sparse 8 GiB file keeps pack busy hashing zeros for seconds (nothing big on
# disk); it is frozen as soon as its temporary exists.
mkdir big
echo 'print("hi")' >big/main.py
truncate -s 8G big/zeros.bin
"$ESCROW" pack big -o out.escrow -s k.key -q &
P=$!
expect_true "pack creates its temporary beside the output" wait_for has_temp '.out.escrow.escrow-tmp.*'
kill -STOP "$P"
tmp=$(temps '.out.escrow.escrow-tmp.*')
expect_true "the temporary names the pid of its process ($tmp)" \
	sh -c "case '$tmp' in *.$P.*) exit 0;; esac; exit 1"
host=$(basename "$tmp" | sed -E 's/^\.out\.escrow\.escrow-tmp\.([A-Za-z0-9-]+)\.[0-9]+\.[0-9a-f]{8}$/\1/')
expect_true "the temporary is .out.escrow.escrow-tmp.HOST.PID.RANDOM ($tmp)" test "$host" != "$(basename "$tmp")"

# While it runs (frozen), another pack to the same output keeps it and says so.
mkdir small
echo 'x = 1' >small/x.py
expect_exit 0 "$ESCROW" pack small -o out.escrow -s k.key
expect_grep "$(basename "$tmp"): kept: process $P is still writing it" err
expect_true "a live temporary is kept" test -f "$tmp"
expect_exit 0 "$ESCROW" verify out.escrow -p k.pub -q

# Killed: the next pack to the same output removes it (even one that stops
# because the output exists), and completes.
kill -KILL "$P"
kill -CONT "$P" 2>/dev/null
wait "$P" 2>/dev/null
expect_true "SIGKILL leaves the temporary behind" test -f "$tmp"
cp "$tmp" "$tmp.copy"
expect_exit 73 "$ESCROW" pack small -o out.escrow -s k.key
expect_grep "$(basename "$tmp"): removed: a temporary output left by process $P, which is gone" err
expect_true "swept by a run that stops on an existing output" test ! -e "$tmp"
mv "$tmp.copy" "$tmp"
echo 'x = 2' >small/x.py
expect_exit 0 "$ESCROW" pack small -o out.escrow -s k.key --force
expect_grep "$(basename "$tmp"): removed: a temporary output left by process $P, which is gone" err
expect_true "the stale temporary is gone" test ! -e "$tmp"
expect_true "no temporary is left at all" test -z "$(temps '.out.escrow.escrow-tmp.*')"
expect_exit 0 "$ESCROW" verify out.escrow -p k.pub -q
expect_exit 0 "$ESCROW" extract out.escrow -C check1 -p k.pub -q --payload-only
expect_true "the new output is complete" cmp -s small/x.py check1/x.py
rm -rf big

# ---- extract: killed mid-extract ---------------------------------------------
mkdir proj
head -c 12000000 /dev/urandom >proj/weights.bin
for i in 1 2 3 4; do head -c 100000 /dev/urandom >"proj/f$i.dat"; done
expect_exit 0 "$ESCROW" pack proj -o proj.escrow -s k.key -q
mkfifo feed
"$ESCROW" extract feed -C dest -p k.pub -q &
X=$!
# Half the bundle, and the writer stays open: extract blocks mid-stream with
# some files written into its temporary folder (the first 4 MiB frame is
# whole by then: a frame is decoded once all of it has come).
exec 3>feed
head -c "$(($(stat -c %s proj.escrow) / 2))" proj.escrow >&3
has_files() { [ -n "$(find . -maxdepth 3 -path './.dest.escrow-tmp.*/data/*' -type f 2>/dev/null)" ]; }
expect_true "extract writes into .dest.escrow-tmp.* beside the target" wait_for has_files
xtmp=$(temps '.dest.escrow-tmp.*')
expect_true "the folder names the pid ($xtmp)" sh -c "case '$xtmp' in *.$X.*) exit 0;; esac; exit 1"

# A second extract into the same place while the first runs: kept, named.
expect_exit 0 "$ESCROW" extract proj.escrow -C dest -p k.pub
expect_grep "$(basename "$xtmp"): kept: process $X is still writing it" err
expect_true "a live temporary folder is kept" test -d "$xtmp"
rm -rf dest

kill -KILL "$X"
wait "$X" 2>/dev/null
exec 3>&-
expect_true "SIGKILL leaves the temporary folder with unverified data" has_files
expect_exit 0 "$ESCROW" extract proj.escrow -C dest -p k.pub
expect_grep "$(basename "$xtmp"): removed: a temporary output left by process $X, which is gone" err
expect_true "the stale folder is gone" test ! -e "$xtmp"
expect_true "no temporary folder is left" test -z "$(temps '.dest.escrow-tmp.*')"
expect_true "the new extraction is complete" cmp -s proj/weights.bin dest/data/weights.bin

# ---- sealed extract through a stalled FIFO ----------------------------------
# The same with a sealed bundle: the decrypting thread waits on the FIFO, and
# what it decrypted and the frames decoded meanwhile still reach the files
# (they once waited for more input).
"$ESCROW" keygen --age -o sx -q
expect_exit 0 "$ESCROW" pack proj -o sproj.escrow -s k.key -r "$(cat sx.age.pub)" -q
mkfifo feed3
"$ESCROW" extract feed3 -C sdest -p k.pub -i sx.age -q &
X=$!
exec 5>feed3
head -c "$(($(stat -c %s sproj.escrow) / 2))" sproj.escrow >&5
has_sfiles() { [ -n "$(find . -maxdepth 3 -path './.sdest.escrow-tmp.*/data/*' -type f 2>/dev/null)" ]; }
expect_true "sealed: extract fed half a bundle writes files before the rest comes" wait_for has_sfiles
kill -KILL "$X"
wait "$X" 2>/dev/null
exec 5>&-
rm -rf .sdest.escrow-tmp.* sdest

# ---- rewrap: killed mid-release ----------------------------------------------
# The sealed deposit comes through a FIFO whose writer stays open: rewrap
# blocks mid-stream with its temporary release beside the output.
"$ESCROW" keygen --age -o vault -q
"$ESCROW" keygen --age -o client -q
expect_exit 0 "$ESCROW" pack proj -o sealed.escrow -s k.key -r "$(cat vault.age.pub)" -q
mkfifo feed2
"$ESCROW" rewrap feed2 -p k.pub -i vault.age -r "$(cat client.age.pub)" -o rel.escrow -q &
W=$!
exec 4>feed2
head -c 1500000 sealed.escrow >&4
has_rel() { [ -s "$(temps '.rel.escrow.escrow-tmp.*' | head -1)" ]; }
expect_true "rewrap writes its release into .rel.escrow.escrow-tmp.*" wait_for has_rel
wtmp=$(temps '.rel.escrow.escrow-tmp.*')
kill -KILL "$W"
wait "$W" 2>/dev/null
exec 4>&-
expect_true "SIGKILL leaves the temporary release" test -f "$wtmp"
expect_exit 0 "$ESCROW" rewrap sealed.escrow -p k.pub -i vault.age -r "$(cat client.age.pub)" -o rel.escrow
expect_grep "$(basename "$wtmp"): removed: a temporary output left by process $W, which is gone" err
expect_true "no temporary release is left" test -z "$(temps '.rel.escrow.escrow-tmp.*')"
expect_exit 0 "$ESCROW" verify rel.escrow -p k.pub -i client.age -q

# ---- what is never removed, and other outputs ---------------------------------
dp=$(dead_pid)
# Made on another host: cannot be judged from here, kept and named.
touch ".out.escrow.escrow-tmp.elsewhere-9.$dp.0badc0de"
# Ours and stale, a folder with a symlink out of it: removed without following it.
mkdir ".out.escrow.escrow-tmp.$host.$dp.00c0ffee"
echo keep >outside.txt
ln -s ../outside.txt ".out.escrow.escrow-tmp.$host.$dp.00c0ffee/link"
# Not ours: another output's temporary, and a name that only looks like one.
touch ".other.escrow.escrow-tmp.$host.$dp.12345678" ".out.escrow.escrow-tmp.$host.$dp.notrandom"
expect_exit 0 "$ESCROW" pack small -o out.escrow -s k.key --force
expect_grep "escrow-tmp.elsewhere-9.$dp.0badc0de: kept: a temporary output made on host 'elsewhere-9'" err
expect_true "another host's temporary is kept" test -f ".out.escrow.escrow-tmp.elsewhere-9.$dp.0badc0de"
expect_true "a stale folder is removed" test ! -e ".out.escrow.escrow-tmp.$host.$dp.00c0ffee"
expect_true "its symlink was not followed" test -f outside.txt
expect_true "another output's temporary is left alone" test -f ".other.escrow.escrow-tmp.$host.$dp.12345678"
expect_true "a name that is not a temporary's is left alone" test -f ".out.escrow.escrow-tmp.$host.$dp.notrandom"

# The same rule for every atomic output: keys and signatures.
touch ".k2.key.escrow-tmp.$host.$dp.aaaaaaaa" ".k2.pub.escrow-tmp.$host.$dp.bbbbbbbb"
expect_exit 0 "$ESCROW" keygen -o k2 -W
expect_true "keygen removes stale temporaries of its key files" \
	test -z "$(temps '.k2.*.escrow-tmp.*')"

# A pid that is alive but started after the temporary was written (a reused
# pid) does not keep it: this shell started after the file was last written.
touch -d '2020-01-01' ".out.escrow.escrow-tmp.$host.$$.cccccccc"
expect_exit 0 "$ESCROW" pack small -o out.escrow -s k.key --force
expect_true "a temporary older than the process holding its pid is stale" \
	test ! -e ".out.escrow.escrow-tmp.$host.$$.cccccccc"
# ... while an unlocked one newer than its live process is kept, and named.
touch ".out.escrow.escrow-tmp.$host.$$.dddddddd"
expect_exit 0 "$ESCROW" pack small -o out.escrow -s k.key --force
expect_grep "dddddddd: kept: unlocked, but process $$ is running" err
expect_true "kept" test -f ".out.escrow.escrow-tmp.$host.$$.dddddddd"

finish
