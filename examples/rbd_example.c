/*
 * rbd_example: create an image, write it, snapshot it and clone it, through
 * the librbd and librados C API. It uses only upstream's API, so it builds
 * against librbdrs's headers and against Ceph's alike:
 *
 *   cargo build --release -p librbdrs
 *   cc examples/rbd_example.c -I include -L target/release -lrbdrs -o rbd_example
 *   LD_LIBRARY_PATH=target/release ./rbd_example /tmp/store
 *
 * With a directory argument, librbdrs keeps the pool "rbd" in its embedded
 * local store there (the rbdrs_local_store option). Without one, the cluster
 * comes from ceph.conf and CEPH_ARGS as for any librados program; the images
 * "example" and "example-clone" must not exist in its pool "rbd" yet.
 *
 * Exits 0 when every step did what it should, 1 (saying which step) when not.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rados/librados.h>
#include <rbd/librbd.h>

#define POOL "rbd"
#define IMAGE "example"
#define CLONE "example-clone"
#define SNAP "base"
#define IMAGE_SIZE (64ULL << 20)
/* 64 KiB straddling the boundary between the first two 4 MiB objects. */
#define IO_OFFSET ((4ULL << 20) - (32 << 10))
#define IO_LENGTH (64 << 10)
/* Where the clone's own write goes, inside the range above. */
#define CLONE_WRITE_OFFSET (IO_OFFSET + 8192)
#define CLONE_WRITE_LENGTH 4096

/* Stops the program when a call returned a negative errno. */
static void check(int r, const char *what)
{
    if (r < 0) {
        fprintf(stderr, "rbd_example: %s failed: %s (%d)\n", what, strerror(-r), r);
        exit(1);
    }
}

static void fail(const char *what)
{
    fprintf(stderr, "rbd_example: %s\n", what);
    exit(1);
}

/* Fills buf with a pattern that differs for each seed and each offset. */
static void fill(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)((i * 31 + seed * 7 + (i >> 9)) & 0xff);
}

static void write_all(rbd_image_t image, uint64_t off, size_t len, const char *buf, const char *what)
{
    ssize_t n = rbd_write(image, off, len, buf);
    check((int)(n < 0 ? n : 0), what);
    if ((size_t)n != len)
        fail("short write");
}

/* Reads [off, off + len) and compares it with want. */
static void expect(rbd_image_t image, uint64_t off, size_t len, const char *want, const char *what)
{
    char *got = malloc(len);
    if (got == NULL)
        fail("out of memory");
    ssize_t n = rbd_read(image, off, len, got);
    check((int)(n < 0 ? n : 0), what);
    if ((size_t)n != len) {
        fprintf(stderr, "rbd_example: %s: read %zd bytes, wanted %zu\n", what, n, len);
        exit(1);
    }
    for (size_t i = 0; i < len; i++) {
        if (got[i] != want[i]) {
            fprintf(stderr, "rbd_example: %s: byte %zu at image offset %" PRIu64 " differs\n", what, i, off + i);
            exit(1);
        }
    }
    free(got);
}

int main(int argc, char **argv)
{
    rados_t cluster;
    rados_ioctx_t io;
    rbd_image_t image, at_snap, clone;
    rbd_image_info_t info;
    int order = 0;       /* 0: the default object size */
    int clone_order = 0; /* 0: the parent's */
    static char first[IO_LENGTH], second[IO_LENGTH], in_clone[IO_LENGTH];

    if (argc > 2) {
        fprintf(stderr, "usage: %s [local-store-directory]\n", argv[0]);
        return 2;
    }

    check(rados_create(&cluster, NULL), "rados_create");
    int r = rados_conf_read_file(cluster, NULL);
    if (r != -ENOENT) /* no ceph.conf anywhere is fine */
        check(r, "rados_conf_read_file");
    if (argc == 2)
        check(rados_conf_set(cluster, "rbdrs_local_store", argv[1]), "rados_conf_set rbdrs_local_store");
    check(rados_connect(cluster), "rados_connect");
    check(rados_ioctx_create(cluster, POOL, &io), "rados_ioctx_create " POOL);
    printf("connected; pool %s\n", POOL);

    check(rbd_create(io, IMAGE, IMAGE_SIZE, &order), "rbd_create " IMAGE);
    check(rbd_open(io, IMAGE, &image, NULL), "rbd_open " IMAGE);
    check(rbd_stat(image, &info, sizeof info), "rbd_stat " IMAGE);
    if (info.size != IMAGE_SIZE || info.obj_size != (1ULL << info.order))
        fail("rbd_stat reports a size or object size rbd_create was not given");
    printf("created %s: %" PRIu64 " bytes in objects of %" PRIu64 " bytes (order %d)\n", IMAGE, info.size, info.obj_size,
           info.order);

    fill(first, sizeof first, 1);
    write_all(image, IO_OFFSET, sizeof first, first, "rbd_write");
    expect(image, IO_OFFSET, sizeof first, first, "rbd_read after rbd_write");
    printf("wrote and read back %d bytes at offset %llu\n", IO_LENGTH, (unsigned long long)IO_OFFSET);

    check(rbd_snap_create(image, SNAP), "rbd_snap_create " SNAP);
    fill(second, sizeof second, 2);
    write_all(image, IO_OFFSET, sizeof second, second, "rbd_write over the snapshot");
    expect(image, IO_OFFSET, sizeof second, second, "rbd_read of the overwritten head");
    printf("snapshot %s taken, then the data overwritten\n", SNAP);

    check(rbd_snap_set(image, SNAP), "rbd_snap_set " SNAP);
    expect(image, IO_OFFSET, sizeof first, first, "rbd_read at snapshot " SNAP " (rbd_snap_set)");
    check(rbd_snap_set(image, NULL), "rbd_snap_set back to the head");
    expect(image, IO_OFFSET, sizeof second, second, "rbd_read of the head after rbd_snap_set");
    check(rbd_open_read_only(io, IMAGE, &at_snap, SNAP), "rbd_open_read_only at " SNAP);
    expect(at_snap, IO_OFFSET, sizeof first, first, "rbd_read at snapshot " SNAP " (rbd_open_read_only)");
    printf("snapshot %s still holds the first data (rbd_snap_set and rbd_open_read_only)\n", SNAP);

    check(rbd_snap_protect(image, SNAP), "rbd_snap_protect " SNAP);
    check(rbd_clone(io, IMAGE, SNAP, io, CLONE, RBD_FEATURE_LAYERING, &clone_order), "rbd_clone " CLONE);
    check(rbd_open(io, CLONE, &clone, NULL), "rbd_open " CLONE);
    expect(clone, IO_OFFSET, sizeof first, first, "rbd_read of the clone (parent data)");
    printf("cloned %s@%s to %s, which reads its parent's snapshot\n", IMAGE, SNAP, CLONE);

    memcpy(in_clone, first, sizeof in_clone);
    fill(in_clone + (CLONE_WRITE_OFFSET - IO_OFFSET), CLONE_WRITE_LENGTH, 3);
    write_all(clone, CLONE_WRITE_OFFSET, CLONE_WRITE_LENGTH, in_clone + (CLONE_WRITE_OFFSET - IO_OFFSET), "rbd_write to the clone");
    expect(clone, IO_OFFSET, sizeof in_clone, in_clone, "rbd_read of the clone after its write");
    expect(at_snap, IO_OFFSET, sizeof first, first, "rbd_read of the parent snapshot after the clone's write");
    expect(image, IO_OFFSET, sizeof second, second, "rbd_read of the parent head after the clone's write");
    printf("wrote %d bytes to %s; the parent and its snapshot are unchanged\n", CLONE_WRITE_LENGTH, CLONE);

    check(rbd_close(clone), "rbd_close " CLONE);
    check(rbd_close(at_snap), "rbd_close " IMAGE "@" SNAP);
    check(rbd_close(image), "rbd_close " IMAGE);
    rados_ioctx_destroy(io);
    rados_shutdown(cluster);
    printf("ok\n");
    return 0;
}
