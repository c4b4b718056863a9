"""A TCP relay on loopback that holds every chunk for half the given round-trip time in each
direction, emulating a distant repository in user space (no netem needed).
Usage: python3 bench/delay-proxy.py LISTEN_PORT TARGET_PORT RTT_MS"""
import asyncio
import sys


async def pump(reader, writer, delay):
    """Forwards each chunk `delay` seconds after it arrived, without holding up later chunks
    (pure latency, no bandwidth limit)."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + delay, chunk))
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


async def main(listen, target, rtt_ms):
    delay = rtt_ms / 2000.0

    async def handle(client_r, client_w):
        await asyncio.sleep(delay)  # the connection handshake costs a round trip too
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_w.close()
            return
        await asyncio.sleep(delay)
        await asyncio.gather(pump(client_r, server_w, delay), pump(server_r, client_w, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
