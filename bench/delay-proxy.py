"""A TCP relay on loopback that holds every chunk for half the given round-trip time in each
direction, emulating a distant repository in user space (no netem needed). With MBIT, each
direction is also one shared link of that rate: chunks of all connections are sent one after
another at that rate (first come, first served), and a connection reads its next chunk only once
its previous one is nearly on the wire (2 ms ahead), so the server sees backpressure as over a
real slow link and the queue stays short (a small answer waits behind at most about 2 ms of data
per busy connection).
Usage: python3 bench/delay-proxy.py LISTEN_PORT TARGET_PORT RTT_MS [MBIT]"""
import asyncio
import sys

CHUNK = 16384
# How far ahead of the link a connection may read. Without it one connection got about half of a
# 200 Mbit link: each chunk's wait ended a timer tick late (epoll's 1 ms), idling the link.
LEAD = 0.002


class Link:
    """One direction of the emulated line: the time it is busy until."""

    def __init__(self, mbit):
        self.bytes_per_s = mbit * 1e6 / 8 if mbit else None
        self.free_at = 0.0

    def send(self, now, size):
        """When a chunk of `size` bytes handed over at `now` has left (now, without a limit)."""
        if not self.bytes_per_s:
            return now
        self.free_at = max(now, self.free_at) + size / self.bytes_per_s
        return self.free_at


async def pump(reader, writer, delay, link):
    """Forwards each chunk `delay` seconds after it left the link, without holding up later
    chunks."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        try:
            while chunk := await reader.read(CHUNK):
                sent = link.send(loop.time(), len(chunk))
                queue.put_nowait((sent + delay, chunk))
                # Backpressure: the next chunk is read once this one is nearly on the wire
                # (LEAD before), so the link never idles for a timer's granularity between two
                # chunks of one connection.
                await asyncio.sleep(max(0.0, sent - loop.time() - LEAD))
        except ConnectionError:
            pass
        queue.put_nowait((loop.time() + delay, b""))

    async def send():
        try:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    await asyncio.gather(receive(), send())


async def main(listen, target, rtt_ms, mbit):
    delay = rtt_ms / 2000.0
    up, down = Link(mbit), Link(mbit)

    async def handle(client_r, client_w):
        await asyncio.sleep(delay)  # the connection handshake costs a round trip too
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_w.close()
            return
        await asyncio.sleep(delay)
        await asyncio.gather(
            pump(client_r, server_w, delay, up), pump(server_r, client_w, delay, down)
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


asyncio.run(
    main(
        int(sys.argv[1]),
        int(sys.argv[2]),
        float(sys.argv[3]),
        float(sys.argv[4]) if len(sys.argv) > 4 else 0.0,
    )
)
