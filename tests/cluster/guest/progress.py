"""How far the writer guest got in a raw disk image: the last sector n of
the unbroken run 1, 2, 3, ... that holds n. With --check, also fails if
anything lies past that run (a lost or misplaced write).

    python3 progress.py DISK [--check]
"""
import struct
import sys


def main():
    disk = open(sys.argv[1], "rb").read()
    sectors = len(disk) // 512
    n = 0
    for i in range(1, sectors):
        if struct.unpack_from("<I", disk, i * 512)[0] != i or disk[i * 512:(i + 1) * 512] != struct.pack("<I", i) * 128:
            break
        n = i
    if "--check" in sys.argv[2:]:
        rest = disk[(n + 1) * 512:]
        if rest.count(0) != len(rest):
            sys.exit(f"sectors past {n} hold data: a write was lost or misplaced")
    print(n)


main()
