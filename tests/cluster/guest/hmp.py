"""Sends one command to a QEMU human monitor on a unix socket; prints the answer.

    python3 hmp.py SOCKET COMMAND...
"""
import socket
import sys
import time


def ask(path, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    banner = b""
    while not banner.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            return ""
        banner += chunk
    s.sendall(command.encode() + b"\n")
    answer = b""
    deadline = time.monotonic() + 30
    while not answer.endswith(b"(qemu) ") and time.monotonic() < deadline:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        answer += chunk
    text = answer.decode(errors="replace").replace("\r", "")
    # Drop the echo of the command and the prompts.
    lines = [l for l in text.split("\n") if not l.startswith("(qemu)") and command not in l]
    return "\n".join(lines).strip()


try:
    print(ask(sys.argv[1], " ".join(sys.argv[2:])))
except BrokenPipeError:
    pass
