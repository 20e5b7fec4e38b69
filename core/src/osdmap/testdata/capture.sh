#!/usr/bin/env bash
# Regenerates the fixtures in this directory from a throwaway cluster
# (tests/cluster/ceph-cluster.sh start 3; eval "$(... env)"). Shapes the
# cluster first: pools of several sizes and pg_nums, a second crush rule,
# an EC pool, a second host, upmaps, pg_temp, primary affinity, reweight.
set -euo pipefail
cd "$(dirname "$0")"
c() { timeout 60 ceph "$@"; }

c osd set-require-min-compat-client luminous --yes-i-really-mean-it >/dev/null 2>&1 || true
c osd crush add-bucket h1 host
c osd crush move h1 root=default
c osd crush move osd.1 host=h1
c osd crush rule create-replicated by-osd default osd
c osd pool create rep3 50 50 replicated by-osd --size 3
c osd pool create rep2 12 12 replicated
c osd pool set rep2 size 2
c osd erasure-code-profile set k2m1 k=2 m=1 crush-failure-domain=osd
c osd pool create ec21 8 8 erasure k2m1
c osd pool create tiny 1 1 replicated
c osd getmap -o epoch-a.osdmap
c osd out 2
c osd getmap -o epoch-b.osdmap
c osd in 2
c osd pg-upmap-items 2.1 0 2
c osd pg-upmap-items 2.7 1 0 0 1
c osd pg-upmap 3.3 1 0 || true
c osd pg-temp 2.4 2 1 || true
c osd primary-temp 2.5 1 || true
c osd primary-affinity osd.0 0.5
c osd reweight 1 0.7
sleep 1
# Let the OSDs' own pg_temp requests settle, then capture the map and,
# at that same epoch, what the monitor says.
capture() {
  sleep 5
  c osd getmap -o full.osdmap
  c osd getcrushmap -o full.crush
  : > pgs.txt
  for id in $(c osd pool ls detail --format json | python3 -c 'import json,sys; print(" ".join(str(p["pool_id"]) for p in json.load(sys.stdin)))'); do
    osdmaptool full.osdmap --test-map-pgs-dump-all --pool "$id" 2>/dev/null | grep -E '^[0-9]+\.[0-9a-f]+ ' >> pgs.txt
  done
  # object -> raw pg -> pg -> up/acting, as the monitor maps them.
  : > objects.json
  for pool in rbd rep3 rep2 ec21 tiny; do
    for i in $(seq 0 39); do
      obj="obj-$i-$RANDOM"
      ns=""
      [ $((i % 5)) -eq 4 ] && ns="ns$i"
      j=$(c osd map "$pool" "$obj" ${ns:+"$ns"} --format json | tr -d '\n')
      printf '%s\t%s\t%s\n' "$obj" "$ns" "$j" >> objects.json
    done
  done
}
for attempt in 1 2 3; do
  capture
  want=$(osdmaptool --print full.osdmap 2>/dev/null | awk '/^epoch/ {print $2}')
  if ! grep -v "\"epoch\":$want," objects.json | grep -q .; then
    echo "captured at epoch $want"
    # Keep what the tests compare, one tab-separated line per object.
    python3 - <<'PY'
import json
rows = ['# pool\tobject\tnamespace\traw seed\tpg seed\tup\tup primary\tacting\tacting primary (ceph osd map at the map epoch)']
f = lambda l: ','.join(str(x) for x in l)
for line in open('objects.json'):
    obj, ns, j = line.rstrip('\n').split('\t', 2)
    d = json.loads(j)
    rows.append('\t'.join([str(d['pool_id']), obj, ns, d['raw_pgid'].split('.')[1], d['pgid'].split('.')[1],
                            f(d['up']), str(d['up_primary']), f(d['acting']), str(d['acting_primary'])]))
open('objects.tsv', 'w').write('\n'.join(rows) + '\n')
PY
    rm objects.json
    exit 0
  fi
  echo "epoch moved during capture; again"
done
exit 1
