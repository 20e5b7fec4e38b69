/*
 * The librados calls librbdrs has so far, from C: connect to a local store
 * (argv[1]), open the pool "rbd", look it up by name and id, disconnect.
 * tests/c_api.rs links it with librbdrs.so and with librbdrs.a and runs it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rados/librados.h>

static void check(int r, const char *what)
{
    if (r < 0) {
        fprintf(stderr, "rados_connect: %s failed: %s (%d)\n", what, strerror(-r), r);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    rados_t cluster;
    rados_ioctx_t io;
    char value[256];
    int major, minor, extra;

    if (argc != 2) {
        fprintf(stderr, "usage: %s local-store-directory\n", argv[0]);
        return 2;
    }
    rados_version(&major, &minor, &extra);
    if (LIBRADOS_VERSION(major, minor, extra) != LIBRADOS_VERSION_CODE) {
        fprintf(stderr, "rados_connect: library %d.%d.%d, header %d\n", major, minor, extra, LIBRADOS_VERSION_CODE);
        return 1;
    }
    check(rados_create(&cluster, NULL), "rados_create");
    int r = rados_conf_read_file(cluster, NULL);
    if (r != -ENOENT)
        check(r, "rados_conf_read_file");
    check(rados_conf_set(cluster, "rbdrs_local_store", argv[1]), "rados_conf_set");
    check(rados_conf_get(cluster, "rbdrs_local_store", value, sizeof value), "rados_conf_get");
    if (strcmp(value, argv[1]) != 0) {
        fprintf(stderr, "rados_connect: rados_conf_get returned %s\n", value);
        return 1;
    }
    check(rados_connect(cluster), "rados_connect");
    int64_t pool = rados_pool_lookup(cluster, "rbd");
    check((int)(pool < 0 ? pool : 0), "rados_pool_lookup");
    check(rados_ioctx_create(cluster, "rbd", &io), "rados_ioctx_create");
    if (rados_ioctx_get_id(io) != pool || rados_ioctx_get_cluster(io) != cluster) {
        fprintf(stderr, "rados_connect: the pool context does not match its pool or cluster\n");
        return 1;
    }
    printf("librados %d.%d.%d; pool rbd has id %" PRId64 "\n", major, minor, extra, pool);
    rados_ioctx_destroy(io);
    rados_shutdown(cluster);
    printf("ok\n");
    return 0;
}
