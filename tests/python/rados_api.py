#!/usr/bin/python3
"""python3-rados calls OpenStack-style users make, printed one answer a
line so runs on upstream librados and on librbdrs can be diffed:

    CEPH_CONF=... /usr/bin/python3 tests/python/rados_api.py > upstream.txt
    LD_LIBRARY_PATH=$(bash ffi/dropin.sh) CEPH_CONF=... \\
        /usr/bin/python3 tests/python/rados_api.py > librbdrs.txt
    diff upstream.txt librbdrs.txt

It creates objects prefixed "pyapi." in pool rbd (and namespace pyapi-ns),
and an application "pyapi", and removes them at the end. Lines that differ
between runs by nature (addresses) are printed as their shape only.
"""

import errno
import os
import re
import sys

import rados

POOL = os.environ.get("RADOS_API_POOL", "rbd")


def show(what, thunk):
    try:
        print(what, "=", thunk())
    except (rados.Error, KeyError) as e:
        print(what, "!", type(e).__name__, getattr(e, "errno", None))


def main():
    cluster = rados.Rados(conffile=os.environ.get("CEPH_CONF", ""))
    cluster.connect()
    addrs = cluster.get_addrs()
    print("get_addrs shape", re.sub(r"\d+", "N", addrs))
    io = cluster.open_ioctx(POOL)
    try:
        run(io)
    finally:
        cleanup(cluster, io)
        io.close()
        cluster.shutdown()


def run(io):
    show("application_list", lambda: sorted(io.application_list()))
    show("enable pyapi (no force)", lambda: io.application_enable("pyapi"))
    show("enable pyapi (force)", lambda: io.application_enable("pyapi", force=True))
    show("application_list", lambda: sorted(io.application_list()))
    show("metadata_set", lambda: io.application_metadata_set("pyapi", "k1", "v1"))
    show("metadata_set", lambda: io.application_metadata_set("pyapi", "k2", "v2"))
    show("metadata_set missing app", lambda: io.application_metadata_set("nope", "k", "v"))
    show("metadata_get", lambda: io.application_metadata_get("pyapi", "k1"))
    show("metadata_get missing", lambda: io.application_metadata_get("pyapi", "none"))
    show("metadata_list", lambda: sorted(io.application_metadata_list("pyapi")))
    show("metadata_remove", lambda: io.application_metadata_remove("pyapi", "k1"))
    show("metadata_remove again", lambda: io.application_metadata_remove("pyapi", "k1"))
    show("metadata_list", lambda: sorted(io.application_metadata_list("pyapi")))

    names = ["pyapi.%03d" % i for i in range(40)]
    for n in names:
        io.write_full(n, n.encode())
    io.set_namespace("pyapi-ns")
    io.write_full("pyapi.ns-obj", b"x")
    io.set_namespace("")
    listed = sorted(o.key for o in io.list_objects() if o.key.startswith("pyapi."))
    print("list_objects default ns", listed == names, len(listed))
    io.set_namespace("pyapi-ns")
    print("list_objects pyapi-ns", sorted((o.key, o.nspace) for o in io.list_objects()))
    io.set_namespace(rados.LIBRADOS_ALL_NSPACES)
    every = sorted((o.nspace, o.key) for o in io.list_objects() if o.key.startswith("pyapi."))
    print("list_objects all", len(every), every[0], every[-1])
    io.set_namespace("")

    io.set_locator_key("pyapi.loc")
    io.write_full("pyapi.keyed", b"k")
    show("read with key", lambda: io.read("pyapi.keyed"))
    io.set_locator_key("")
    show("read without key", lambda: io.read("pyapi.keyed"))
    keyed = [(o.key, o.locator_key) for o in io.list_objects() if o.key == "pyapi.keyed"]
    print("listed keyed", keyed)


def cleanup(cluster, io):
    io.set_namespace("")
    io.set_locator_key("pyapi.loc")
    for n in ["pyapi.keyed"]:
        try:
            io.remove_object(n)
        except rados.ObjectNotFound:
            pass
    io.set_locator_key("")
    io.set_namespace(rados.LIBRADOS_ALL_NSPACES)
    doomed = [(o.nspace, o.key) for o in io.list_objects() if o.key.startswith("pyapi.")]
    for ns, key in doomed:
        io.set_namespace(ns)
        io.remove_object(key)
    io.set_namespace("")
    try:
        io.application_metadata_remove("pyapi", "k2")
    except rados.Error:
        pass
    # Disabling needs the monitor command; librados has no call for it.
    cmd = '{"prefix": "osd pool application disable", "pool": "%s", "app": "pyapi", "yes_i_really_mean_it": true}' % POOL
    cluster.mon_command(cmd, b"")


if __name__ == "__main__":
    sys.exit(main())
