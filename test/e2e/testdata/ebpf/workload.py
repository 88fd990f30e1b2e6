"""A Python service with one of the guide's problems, for the eBPF end-to-end test.

regex: compiles a new pattern per request (more patterns than re's cache holds);
tls: a new TLS connection per request to a server thread on 127.0.0.1;
dns: resolves a new name per request through the system resolver (getaddrinfo).
"""
import hashlib
import re
import socket
import ssl
import sys
import threading


def other_work(n):
    h = b"x" * 4096
    for _ in range(n):
        h = hashlib.sha256(h).digest() * 128


def regex_loop():
    i = 0
    while True:
        pat = re.compile(r"^user-(\d+)-%d-[a-z]+@(example|test)\.(com|org)$" % (i % 5000))
        pat.match("user-42-%d-abc@example.com" % i)
        other_work(10)
        i += 1


def tls_loop(cert, key):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    sctx.options |= ssl.OP_NO_TICKET
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        while True:
            c, _ = srv.accept()
            try:
                with sctx.wrap_socket(c, server_side=True) as s:
                    s.sendall(s.recv(4))
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    while True:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"ping")
                s.recv(4)
        other_work(20)


def dns_loop():
    i = 0
    while True:
        socket.getaddrinfo("h%d.perfadvisor.test" % i, 80, socket.AF_INET, socket.SOCK_STREAM)
        other_work(10)
        i += 1


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "regex":
        regex_loop()
    elif mode == "tls":
        tls_loop(sys.argv[2], sys.argv[3])
    elif mode == "dns":
        dns_loop()
