"""A real backend for integration tests: answers HTTP/1.0 on TCP and echoes on UDP, on every
address of its namespace (IPv4 and IPv6), naming itself in each reply (X-Backend, and the path
it was asked for in X-Request-Path). Runs until killed."""
import socket
import socketserver
import sys
import threading

NAME = sys.argv[1]
TCP_PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 80
UDP_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 53


class Http(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(4096)
        while self.rfile.readline(4096).strip():  # headers
            pass
        path = line.split()[1].decode() if len(line.split()) > 1 else "/"
        body = b""
        if path.startswith("/slow/"):  # long-lived response: drip for N tenths of a second
            import time
            n = int(path.split("/")[2])
            for _ in range(n):
                time.sleep(0.1)
                body += b"."
        body = ("%s %s\n" % (NAME, self.client_address[0])).encode() + body
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nX-Backend: %s\r\nX-Request-Path: %s\r\n\r\n"
                         % (len(body), NAME.encode(), path.encode()))
        self.wfile.write(body)


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(("%s " % NAME).encode() + data, self.client_address)


class Tcp6(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class Udp6(socketserver.ThreadingUDPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


tcp = Tcp6(("::", TCP_PORT), Http)
udp = Udp6(("::", UDP_PORT), Udp)
threading.Thread(target=udp.serve_forever, daemon=True).start()
print("ready", flush=True)
tcp.serve_forever()
