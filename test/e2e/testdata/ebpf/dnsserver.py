"""A tiny authoritative DNS server on 127.0.0.1:53 (inside the test's own network namespace):
every A question gets 127.0.0.1, anything else an empty NOERROR answer."""
import socket
import struct

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, addr = s.recvfrom(512)
    if len(q) < 12:
        continue
    i = 12
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    an = 1 if qtype == 1 else 0
    hdr = q[:2] + struct.pack(">HHHHH", 0x8180, 1, an, 0, 0)
    body = question
    if an:
        body += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
    s.sendto(hdr + body, addr)
